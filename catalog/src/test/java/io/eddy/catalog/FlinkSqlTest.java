package io.eddy.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.catalog.CatalogDatabase;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FlinkSqlTest drives the catalog through Flink's SQL in this JVM, the way the SQL Gateway does:
 * every TableEnvironment stands for a gateway session (or a restarted gateway) and finds the
 * catalog through the same file CatalogStore, so each one gets its own EddyCatalog instance.
 */
class FlinkSqlTest {

    @TempDir
    Path dir;

    /** session returns a new batch TableEnvironment whose catalogs come from the file store. */
    private TableEnvironment session() {
        Configuration conf = new Configuration();
        conf.setString("table.catalog-store.kind", "file");
        conf.setString("table.catalog-store.file.path", dir.resolve("catalog-store").toUri().toString());
        return TableEnvironment.create(EnvironmentSettings.newInstance().inBatchMode().withConfiguration(conf).build());
    }

    private static List<Row> rows(TableResult result) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (CloseableIterator<Row> it = result.collect()) {
            it.forEachRemaining(rows::add);
        }
        return rows;
    }

    private static List<String> column(TableEnvironment env, String sql) throws Exception {
        List<String> values = new ArrayList<>();
        for (Row row : rows(env.executeSql(sql))) {
            values.add(String.valueOf(row.getField(0)));
        }
        return values;
    }

    private static String showCreate(TableEnvironment env, String what) throws Exception {
        List<String> text = column(env, "SHOW CREATE " + what);
        assertEquals(1, text.size());
        return text.get(0);
    }

    @Test
    void tablesViewsAndFunctionsOutliveTheSession() throws Exception {
        Files.createDirectories(dir.resolve("catalog-store"));
        String catalogUri = dir.resolve("cat").toUri().toString();

        TableEnvironment first = session();
        first.executeSql("CREATE CATALOG eddy WITH ('type'='eddy', 'path'='" + catalogUri + "')");
        first.executeSql("USE CATALOG eddy");
        first.executeSql(
                "CREATE TABLE gen ("
                        + " id BIGINT NOT NULL COMMENT 'row id', v INT, name STRING, ts TIMESTAMP(3),"
                        + " v2 AS v * 2,"
                        + " WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,"
                        + " PRIMARY KEY (id) NOT ENFORCED"
                        + ") COMMENT 'bounded generator' WITH ("
                        + " 'connector'='datagen', 'number-of-rows'='10',"
                        + " 'fields.id.kind'='sequence', 'fields.id.start'='1', 'fields.id.end'='10',"
                        + " 'fields.v.min'='1', 'fields.v.max'='1')");
        first.executeSql("ALTER TABLE gen SET ('fields.name.length'='4')");
        String genDdl = showCreate(first, "TABLE gen");
        assertTrue(genDdl.contains("`v2` AS `v` * 2"), genDdl);
        assertTrue(genDdl.contains("WATERMARK FOR `ts` AS `ts` - INTERVAL '5' SECOND"), genDdl);
        assertTrue(genDdl.contains("PRIMARY KEY (`id`) NOT ENFORCED"), genDdl);
        assertTrue(genDdl.contains("COMMENT 'bounded generator'"), genDdl);
        assertTrue(genDdl.contains("'fields.name.length' = '4'"), genDdl);

        first.executeSql("CREATE TABLE old_name (a INT) WITH ('connector'='datagen')");
        first.executeSql("ALTER TABLE old_name RENAME TO new_name");
        first.executeSql("CREATE VIEW evens COMMENT 'even ids' AS SELECT id, v2 FROM gen WHERE MOD(id, 2) = 0");
        first.executeSql("CREATE FUNCTION my_upper AS '" + UpperFunction.class.getName() + "'");
        first.executeSql("CREATE TEMPORARY FUNCTION tmp_upper AS '" + UpperFunction.class.getName() + "'");
        first.executeSql("CREATE TEMPORARY VIEW tmp_view AS SELECT 1 AS x");
        first.executeSql("CREATE DATABASE db2 COMMENT 'second' WITH ('owner'='notes')");
        first.executeSql("ALTER DATABASE db2 SET ('owner'='eddy')");
        String viewDdl = showCreate(first, "VIEW evens");

        // A second session, as another note: it never ran CREATE CATALOG.
        TableEnvironment second = session();
        assertTrue(List.of(second.listCatalogs()).contains("eddy"));
        second.executeSql("USE CATALOG eddy");
        assertEquals(List.of("evens", "gen", "new_name"), column(second, "SHOW TABLES"));
        assertEquals(List.of("evens"), column(second, "SHOW VIEWS"));
        assertEquals(genDdl, showCreate(second, "TABLE gen"));
        assertEquals(viewDdl, showCreate(second, "VIEW evens"));
        List<String> functions = column(second, "SHOW USER FUNCTIONS");
        assertTrue(functions.contains("my_upper"), functions.toString());
        assertFalse(functions.contains("tmp_upper"), functions.toString());
        assertThrows(Exception.class, () -> second.executeSql("SELECT * FROM tmp_view"));
        assertEquals(List.of("db2", "default"), column(second, "SHOW DATABASES"));
        // Flink SQL has no DESCRIBE DATABASE; the session's catalog instance answers instead.
        CatalogDatabase db2 = second.getCatalog("eddy").orElseThrow().getDatabase("db2");
        assertEquals("second", db2.getComment());
        assertEquals(Map.of("owner", "eddy"), db2.getProperties());

        // The view, the computed column and the permanent function work in a query.
        List<Row> result = rows(second.executeSql(
                "SELECT COUNT(*), SUM(id), SUM(v2), MAX(my_upper('x')) FROM evens"));
        assertEquals(1, result.size());
        assertEquals(Row.of(5L, 30L, 10, "X").toString(), result.get(0).toString());

        // A change in one session is seen by the other at once, with no cache to refresh.
        second.executeSql("CREATE TABLE from_second (a INT) WITH ('connector'='datagen')");
        assertTrue(column(first, "SHOW TABLES").contains("from_second"));
        first.executeSql("DROP TABLE from_second");
        assertFalse(column(second, "SHOW TABLES").contains("from_second"));

        // A duplicate is refused with Flink's usual message.
        Exception dup = assertThrows(Exception.class,
                () -> second.executeSql("CREATE TABLE gen (a INT) WITH ('connector'='datagen')"));
        assertTrue(causes(dup).contains("already exists"), causes(dup));

        // Drops through SQL.
        second.executeSql("DROP VIEW evens");
        second.executeSql("DROP FUNCTION my_upper");
        second.executeSql("DROP DATABASE db2");
        TableEnvironment third = session();
        third.executeSql("USE CATALOG eddy");
        assertEquals(List.of("gen", "new_name"), column(third, "SHOW TABLES"));
        assertFalse(column(third, "SHOW USER FUNCTIONS").contains("my_upper"));
        assertEquals(List.of("default"), column(third, "SHOW DATABASES"));
        assertEquals(genDdl, showCreate(third, "TABLE gen"));
    }

    @Test
    void alterationsAndLimits() throws Exception {
        String catalogUri = dir.resolve("cat").toUri().toString();
        TableEnvironment first = session();
        first.executeSql("CREATE CATALOG eddy WITH ('type'='eddy', 'path'='" + catalogUri + "')");
        first.executeSql("USE CATALOG eddy");
        first.executeSql(
                "CREATE TABLE k (id INT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL, dt STRING)"
                        + " PARTITIONED BY (dt) WITH ('connector'='filesystem', 'path'='file:///nowhere', 'format'='csv')");
        first.executeSql("ALTER TABLE k ADD (c2 INT COMMENT 'added', c3 STRING)");
        first.executeSql("ALTER TABLE k MODIFY c2 BIGINT");
        first.executeSql("ALTER TABLE k DROP c3");
        first.executeSql("ALTER TABLE k RENAME id TO key_id");
        first.executeSql("ALTER TABLE k RESET ('format')");
        first.executeSql("CREATE TABLE g (key_id INT, dt STRING) WITH ('connector'='datagen', 'number-of-rows'='1')");
        first.executeSql("CREATE VIEW v AS SELECT key_id FROM g");
        first.executeSql("ALTER VIEW v AS SELECT key_id, dt FROM g");
        first.executeSql("ALTER VIEW v RENAME TO v2");
        first.executeSql("CREATE FUNCTION py_fn AS 'my_module.my_fn' LANGUAGE PYTHON");
        String kDdl = showCreate(first, "TABLE k");

        TableEnvironment second = session();
        second.executeSql("USE CATALOG eddy");
        assertEquals(kDdl, showCreate(second, "TABLE k"));
        assertTrue(kDdl.contains("`key_id` INT"), kDdl);
        assertTrue(kDdl.contains("`ts` TIMESTAMP(3) WITH LOCAL TIME ZONE METADATA FROM 'timestamp' VIRTUAL"), kDdl);
        assertTrue(kDdl.contains("`c2` BIGINT COMMENT 'added'"), kDdl);
        assertFalse(kDdl.contains("c3") || kDdl.contains("'format'"), kDdl);
        assertTrue(kDdl.contains("PARTITIONED BY (`dt`)"), kDdl);
        assertEquals(List.of("g", "k", "v2"), column(second, "SHOW TABLES"));
        assertTrue(showCreate(second, "VIEW v2").contains("`dt`"));
        assertTrue(column(second, "SHOW USER FUNCTIONS").contains("py_fn"));

        Exception partition = assertThrows(Exception.class,
                () -> second.executeSql("ALTER TABLE k ADD PARTITION (dt='2026-01-01')"));
        assertTrue(causes(partition).contains("does not support partitions"), causes(partition));

        second.executeSql("CREATE TABLE no_connector (a INT)");
        Exception read = assertThrows(Exception.class, () -> rows(second.executeSql("SELECT * FROM no_connector")));
        assertTrue(causes(read).contains("do not contain an option key 'connector'"), causes(read));
    }

    @Test
    void missingPathIsAClearError() {
        TableEnvironment env = session();
        Exception e = assertThrows(Exception.class, () -> env.executeSql("CREATE CATALOG broken WITH ('type'='eddy')"));
        String all = causes(e);
        assertTrue(all.contains("Missing required options are:") && all.contains("path"), all);
    }

    private static String causes(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (; t != null; t = t.getCause()) {
            all.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
