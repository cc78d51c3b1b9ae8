package io.eddy.catalog;

import org.apache.flink.table.functions.ScalarFunction;

/** UpperFunction is a user function for the SQL tests: it upper-cases a string. */
public class UpperFunction extends ScalarFunction {

    /** eval returns {@code s} in upper case, or null for null. */
    public String eval(String s) {
        return s == null ? null : s.toUpperCase(java.util.Locale.ROOT);
    }
}
