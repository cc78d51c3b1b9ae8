package io.eddy.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Catalog;
import org.apache.flink.table.factories.FactoryUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EddyCatalogFactoryTest {

    @TempDir
    Path dir;

    private Catalog create(Map<String, String> options) {
        return FactoryUtil.createCatalog("c", options, new Configuration(), getClass().getClassLoader());
    }

    @Test
    void discoveredByType() {
        Catalog catalog = create(Map.of("type", "eddy", "path", dir.toUri().toString()));
        EddyCatalog eddy = assertInstanceOf(EddyCatalog.class, catalog);
        assertEquals("default", eddy.getDefaultDatabase());
        assertEquals(dir.toAbsolutePath().normalize(), eddy.root());
    }

    @Test
    void defaultDatabaseAndPlainPath() {
        EddyCatalog eddy = (EddyCatalog) create(
                Map.of("type", "eddy", "path", dir.toString(), "default-database", "notes"));
        eddy.open();
        assertEquals("notes", eddy.getDefaultDatabase());
        assertEquals(List.of("notes"), eddy.listDatabases());
    }

    @Test
    void missingPathIsAClearError() {
        ValidationException e = assertThrows(ValidationException.class, () -> create(Map.of("type", "eddy")));
        String all = messages(e);
        assertTrue(all.contains("Missing required options are:") && all.contains("path"), all);
    }

    @Test
    void badPaths() {
        for (String bad : new String[] {"relative/dir", "hdfs://nn/cat", "file://host/x"}) {
            ValidationException e = assertThrows(ValidationException.class,
                    () -> create(Map.of("type", "eddy", "path", bad)), bad);
            assertTrue(messages(e).contains("Option 'path' of catalog 'c'"), messages(e));
        }
    }

    @Test
    void unknownOptionIsRejected() {
        ValidationException e = assertThrows(ValidationException.class,
                () -> create(Map.of("type", "eddy", "path", dir.toString(), "pth", "x")));
        assertTrue(messages(e).contains("pth"), messages(e));
    }

    private static String messages(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
