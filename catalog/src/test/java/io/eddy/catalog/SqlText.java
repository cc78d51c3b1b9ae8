package io.eddy.catalog;

import java.util.List;

import org.apache.flink.table.expressions.Expression;
import org.apache.flink.table.expressions.ExpressionVisitor;
import org.apache.flink.table.expressions.ResolvedExpression;
import org.apache.flink.table.expressions.SqlFactory;
import org.apache.flink.table.types.DataType;

/**
 * SqlText stands in for the expressions Flink's planner resolves (computed columns, watermarks):
 * like them, it serialises to its SQL text. Unit tests use it to build a ResolvedCatalogTable
 * without a planner.
 */
final class SqlText implements ResolvedExpression {

    private final String sql;
    private final DataType type;

    SqlText(String sql, DataType type) {
        this.sql = sql;
        this.type = type;
    }

    @Override
    public String asSerializableString(SqlFactory sqlFactory) {
        return sql;
    }

    @Override
    public DataType getOutputDataType() {
        return type;
    }

    @Override
    public List<ResolvedExpression> getResolvedChildren() {
        return List.of();
    }

    @Override
    public String asSummaryString() {
        return sql;
    }

    @Override
    public List<Expression> getChildren() {
        return List.of();
    }

    @Override
    public <R> R accept(ExpressionVisitor<R> visitor) {
        return visitor.visit(this);
    }
}
