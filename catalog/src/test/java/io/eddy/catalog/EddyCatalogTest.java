package io.eddy.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.catalog.CatalogBaseTable;
import org.apache.flink.table.catalog.CatalogFunction;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.CatalogView;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.FunctionLanguage;
import org.apache.flink.table.catalog.ObjectPath;
import org.apache.flink.table.catalog.ResolvedCatalogTable;
import org.apache.flink.table.catalog.ResolvedCatalogView;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.catalog.UniqueConstraint;
import org.apache.flink.table.catalog.WatermarkSpec;
import org.apache.flink.table.catalog.exceptions.CatalogException;
import org.apache.flink.table.catalog.exceptions.DatabaseAlreadyExistException;
import org.apache.flink.table.catalog.exceptions.DatabaseNotEmptyException;
import org.apache.flink.table.catalog.exceptions.DatabaseNotExistException;
import org.apache.flink.table.catalog.exceptions.FunctionAlreadyExistException;
import org.apache.flink.table.catalog.exceptions.FunctionNotExistException;
import org.apache.flink.table.catalog.exceptions.TableAlreadyExistException;
import org.apache.flink.table.catalog.exceptions.TableNotExistException;
import org.apache.flink.table.resource.ResourceType;
import org.apache.flink.table.resource.ResourceUri;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EddyCatalogTest {

    @TempDir
    Path dir;

    /** openCatalog returns a fresh, opened instance over {@code dir}, as a new session would. */
    private EddyCatalog openCatalog() {
        EddyCatalog catalog = new EddyCatalog("eddy", "default", dir.resolve("cat"));
        catalog.open();
        return catalog;
    }

    private static ObjectPath path(String name) {
        return new ObjectPath("default", name);
    }

    /** table returns a resolved table with a computed column, a watermark, a key and comments. */
    static ResolvedCatalogTable table(String comment, Map<String, String> options) {
        ResolvedSchema schema = new ResolvedSchema(
                List.of(
                        Column.physical("id", DataTypes.BIGINT().notNull()).withComment("row id"),
                        Column.physical("v", DataTypes.INT()),
                        Column.physical("ts", DataTypes.TIMESTAMP(3)),
                        Column.computed("v2", new SqlText("`v` * 2", DataTypes.INT()))),
                List.of(WatermarkSpec.of("ts", new SqlText("`ts` - INTERVAL '5' SECOND", DataTypes.TIMESTAMP(3)))),
                UniqueConstraint.primaryKey("PK_id", List.of("id")),
                List.of());
        CatalogTable origin = CatalogTable.newBuilder()
                .schema(Schema.newBuilder().fromResolvedSchema(schema).build())
                .comment(comment)
                .options(options)
                .build();
        return new ResolvedCatalogTable(origin, schema);
    }

    static ResolvedCatalogTable simpleTable() {
        ResolvedSchema schema = ResolvedSchema.of(Column.physical("a", DataTypes.STRING()));
        CatalogTable origin = CatalogTable.newBuilder()
                .schema(Schema.newBuilder().fromResolvedSchema(schema).build())
                .options(Map.of("connector", "datagen"))
                .build();
        return new ResolvedCatalogTable(origin, schema);
    }

    static ResolvedCatalogView view() {
        ResolvedSchema schema = ResolvedSchema.of(Column.physical("id", DataTypes.BIGINT().notNull()));
        CatalogView origin = CatalogView.of(
                Schema.newBuilder().fromResolvedSchema(schema).build(),
                "ids only",
                "SELECT id FROM gen",
                "SELECT `gen`.`id` FROM `eddy`.`default`.`gen` AS `gen`",
                Map.of());
        return new ResolvedCatalogView(origin, schema);
    }

    @Test
    void open_createsDirectoryAndDefaultDatabase() {
        EddyCatalog catalog = openCatalog();
        assertEquals(List.of("default"), catalog.listDatabases());
        assertTrue(Files.isRegularFile(dir.resolve("cat/default/database.json")));
        assertTrue(Files.isDirectory(dir.resolve("cat/default/tables")));
        // A second instance over the same directory opens without touching it.
        openCatalog();
        assertEquals(List.of("default"), catalog.listDatabases());
    }

    @Test
    void open_rejectsAFile() throws Exception {
        Files.writeString(dir.resolve("cat"), "x");
        CatalogException e = assertThrows(CatalogException.class, this::openCatalog);
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Nested
    class Tables {

        @Test
        void roundTripInANewInstance() throws Exception {
            openCatalog().createTable(path("gen"), table("bounded generator",
                    Map.of("connector", "datagen", "number-of-rows", "1000")), false);

            EddyCatalog other = openCatalog();
            CatalogBaseTable loaded = other.getTable(path("gen"));
            CatalogTable table = assertInstanceOf(CatalogTable.class, loaded);
            assertEquals("bounded generator", table.getComment());
            assertEquals(Map.of("connector", "datagen", "number-of-rows", "1000"), table.getOptions());
            assertFalse(table.isPartitioned());

            Schema schema = table.getUnresolvedSchema();
            Schema expected = Schema.newBuilder()
                    .column("id", "BIGINT NOT NULL").withComment("row id")
                    .column("v", "INT")
                    .column("ts", "TIMESTAMP(3)")
                    .columnByExpression("v2", "`v` * 2")
                    .watermark("ts", "`ts` - INTERVAL '5' SECOND")
                    .primaryKeyNamed("PK_id", "id")
                    .build();
            assertEquals(expected.toString(), schema.toString());
            assertEquals(List.of("gen"), other.listTables("default"));
            assertEquals(List.of(), other.listViews("default"));
        }

        @Test
        void partitionKeysSurvive() throws Exception {
            ResolvedSchema schema = ResolvedSchema.of(
                    Column.physical("a", DataTypes.STRING()), Column.physical("dt", DataTypes.STRING()));
            CatalogTable origin = CatalogTable.newBuilder()
                    .schema(Schema.newBuilder().fromResolvedSchema(schema).build())
                    .partitionKeys(List.of("dt"))
                    .options(Map.of("connector", "filesystem"))
                    .build();
            openCatalog().createTable(path("p"), new ResolvedCatalogTable(origin, schema), false);
            EddyCatalog other = openCatalog();
            assertEquals(List.of("dt"), ((CatalogTable) other.getTable(path("p"))).getPartitionKeys());
            assertEquals(List.of(), other.listPartitions(path("p")));
        }

        @Test
        void createTwiceIsAlreadyExists() throws Exception {
            EddyCatalog catalog = openCatalog();
            catalog.createTable(path("t"), simpleTable(), false);
            assertThrows(TableAlreadyExistException.class, () -> catalog.createTable(path("t"), simpleTable(), false));
            catalog.createTable(path("t"), simpleTable(), true);
            // A view of the same name is a clash too: tables and views share a namespace.
            assertThrows(TableAlreadyExistException.class, () -> catalog.createTable(path("t"), view(), false));
        }

        @Test
        void createInMissingDatabase() {
            EddyCatalog catalog = openCatalog();
            assertThrows(DatabaseNotExistException.class,
                    () -> catalog.createTable(new ObjectPath("nope", "t"), simpleTable(), false));
        }

        @Test
        void dropRenameAlter() throws Exception {
            EddyCatalog catalog = openCatalog();
            catalog.createTable(path("t"), table("c", Map.of("connector", "datagen")), false);
            catalog.createTable(path("taken"), simpleTable(), false);

            assertThrows(TableAlreadyExistException.class, () -> catalog.renameTable(path("t"), "taken", false));
            catalog.renameTable(path("t"), "t2", false);
            EddyCatalog other = openCatalog();
            assertFalse(other.tableExists(path("t")));
            assertEquals("c", ((CatalogTable) other.getTable(path("t2"))).getComment());
            assertThrows(TableNotExistException.class, () -> other.renameTable(path("t"), "t3", false));
            other.renameTable(path("t"), "t3", true);

            ResolvedCatalogTable changed = table("c", Map.of("connector", "print"));
            other.alterTable(path("t2"), changed, false);
            assertEquals(Map.of("connector", "print"), ((CatalogTable) openCatalog().getTable(path("t2"))).getOptions());
            assertThrows(TableNotExistException.class, () -> other.alterTable(path("nope"), changed, false));
            other.alterTable(path("nope"), changed, true);
            assertThrows(CatalogException.class, () -> other.alterTable(path("t2"), view(), false));

            catalog.dropTable(path("t2"), false);
            assertThrows(TableNotExistException.class, () -> other.getTable(path("t2")));
            assertThrows(TableNotExistException.class, () -> other.dropTable(path("t2"), false));
            other.dropTable(path("t2"), true);
            assertEquals(List.of("taken"), other.listTables("default"));
        }

        @Test
        void oddNamesAreEncoded() throws Exception {
            EddyCatalog catalog = openCatalog();
            for (String name : List.of("..", "a/b", "Ünïcode täble", ".hidden", "x.json")) {
                catalog.createTable(path(name), simpleTable(), false);
            }
            assertEquals(List.of("..", ".hidden", "a/b", "x.json", "Ünïcode täble").stream().sorted().toList(),
                    openCatalog().listTables("default"));
            try (var files = Files.list(dir.resolve("cat/default/tables"))) {
                assertEquals(5, files.count());
            }
        }

        @Test
        void unresolvedTableIsRejected() {
            EddyCatalog catalog = openCatalog();
            CatalogTable unresolved = CatalogTable.newBuilder()
                    .schema(Schema.newBuilder().column("a", DataTypes.INT()).build())
                    .options(Map.of())
                    .build();
            CatalogException e = assertThrows(CatalogException.class,
                    () -> catalog.createTable(path("u"), unresolved, false));
            assertTrue(e.getMessage().contains("resolved"), e.getMessage());
        }

        @Test
        void corruptFileIsAClearError() throws Exception {
            EddyCatalog catalog = openCatalog();
            Files.writeString(dir.resolve("cat/default/tables/bad.json"), "{not json");
            CatalogException e = assertThrows(CatalogException.class, () -> catalog.getTable(path("bad")));
            assertTrue(e.getMessage().contains("bad.json"), e.getMessage());
        }
    }

    @Nested
    class Views {

        @Test
        void roundTripInANewInstance() throws Exception {
            openCatalog().createTable(path("v"), view(), false);
            EddyCatalog other = openCatalog();
            CatalogView loaded = assertInstanceOf(CatalogView.class, other.getTable(path("v")));
            assertEquals("SELECT id FROM gen", loaded.getOriginalQuery());
            assertEquals("SELECT `gen`.`id` FROM `eddy`.`default`.`gen` AS `gen`", loaded.getExpandedQuery());
            assertEquals("ids only", loaded.getComment());
            assertEquals(Schema.newBuilder().column("id", "BIGINT NOT NULL").build().toString(),
                    loaded.getUnresolvedSchema().toString());
            assertEquals(List.of("v"), other.listViews("default"));
            assertEquals(List.of("v"), other.listTables("default"));
            other.dropTable(path("v"), false);
            assertEquals(List.of(), openCatalog().listViews("default"));
        }
    }

    @Nested
    class Functions {

        @Test
        void lifecycle() throws Exception {
            EddyCatalog catalog = openCatalog();
            CatalogFunction fn = new EddyFunction("com.example.Upper", FunctionLanguage.JAVA,
                    List.of(new ResourceUri(ResourceType.JAR, "file:///tmp/udf.jar")), Map.of());
            catalog.createFunction(path("myupper"), fn, false);
            assertThrows(FunctionAlreadyExistException.class, () -> catalog.createFunction(path("myupper"), fn, false));

            EddyCatalog other = openCatalog();
            CatalogFunction loaded = other.getFunction(path("myupper"));
            assertEquals("com.example.Upper", loaded.getClassName());
            assertEquals(FunctionLanguage.JAVA, loaded.getFunctionLanguage());
            assertEquals(List.of(new ResourceUri(ResourceType.JAR, "file:///tmp/udf.jar")), loaded.getFunctionResources());
            assertEquals(List.of("myupper"), other.listFunctions("default"));
            assertTrue(other.functionExists(path("myupper")));

            other.alterFunction(path("myupper"),
                    new EddyFunction("my_udfs.upper", FunctionLanguage.PYTHON, List.of(), Map.of()), false);
            CatalogFunction altered = openCatalog().getFunction(path("myupper"));
            assertEquals(FunctionLanguage.PYTHON, altered.getFunctionLanguage());
            assertEquals("my_udfs.upper", altered.getClassName());
            assertThrows(FunctionNotExistException.class, () -> other.alterFunction(path("nope"), fn, false));

            catalog.dropFunction(path("myupper"), false);
            assertFalse(other.functionExists(path("myupper")));
            assertThrows(FunctionNotExistException.class, () -> other.getFunction(path("myupper")));
            assertThrows(FunctionNotExistException.class, () -> other.dropFunction(path("myupper"), false));
            other.dropFunction(path("myupper"), true);
        }
    }

    @Nested
    class Databases {

        @Test
        void lifecycle() throws Exception {
            EddyCatalog catalog = openCatalog();
            catalog.createDatabase("db2", new EddyDatabase(Map.of("k", "v"), "second"), false);
            assertThrows(DatabaseAlreadyExistException.class,
                    () -> catalog.createDatabase("db2", new EddyDatabase(Map.of(), null), false));

            EddyCatalog other = openCatalog();
            assertEquals(List.of("db2", "default"), other.listDatabases());
            assertEquals("second", other.getDatabase("db2").getComment());
            assertEquals(Map.of("k", "v"), other.getDatabase("db2").getProperties());

            other.alterDatabase("db2", new EddyDatabase(Map.of("k", "w"), "changed"), false);
            assertEquals(Map.of("k", "w"), catalog.getDatabase("db2").getProperties());
            assertEquals("changed", catalog.getDatabase("db2").getComment());
            assertThrows(DatabaseNotExistException.class,
                    () -> other.alterDatabase("nope", new EddyDatabase(Map.of(), null), false));

            catalog.createTable(new ObjectPath("db2", "t"), simpleTable(), false);
            assertThrows(DatabaseNotEmptyException.class, () -> other.dropDatabase("db2", false, false));
            other.dropDatabase("db2", false, true);
            assertEquals(List.of("default"), catalog.listDatabases());
            assertFalse(Files.exists(dir.resolve("cat/db2")));
            assertThrows(DatabaseNotExistException.class, () -> catalog.getDatabase("db2"));
            assertThrows(DatabaseNotExistException.class, () -> catalog.listTables("db2"));
            assertThrows(DatabaseNotExistException.class, () -> catalog.dropDatabase("db2", false, false));
            catalog.dropDatabase("db2", true, false);

            // Re-creating it starts empty.
            catalog.createDatabase("db2", new EddyDatabase(Map.of(), null), false);
            assertEquals(List.of(), other.listTables("db2"));
            assertNull(other.getDatabase("db2").getComment());
        }
    }

    @Nested
    class Concurrency {

        @Test
        void twoInstancesCreateFiftyTablesEach() throws Exception {
            EddyCatalog a = openCatalog();
            EddyCatalog b = openCatalog();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> done = new ArrayList<>();
                for (EddyCatalog c : List.of(a, b)) {
                    String prefix = c == a ? "a_" : "b_";
                    done.add(pool.submit((Callable<Void>) () -> {
                        start.await();
                        for (int i = 0; i < 50; i++) {
                            c.createTable(path(prefix + i), table("t" + i, Map.of("connector", "datagen")), false);
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            EddyCatalog fresh = openCatalog();
            List<String> names = fresh.listTables("default");
            assertEquals(100, names.size());
            for (String name : names) {
                CatalogTable t = (CatalogTable) fresh.getTable(path(name));
                assertEquals("t" + name.substring(2), t.getComment());
            }
        }

        @Test
        void sameNameRaceHasOneWinner() throws Exception {
            for (int round = 0; round < 20; round++) {
                EddyCatalog a = openCatalog();
                EddyCatalog b = openCatalog();
                String name = "race_" + round;
                ExecutorService pool = Executors.newFixedThreadPool(2);
                try {
                    CountDownLatch start = new CountDownLatch(1);
                    List<Future<Boolean>> results = new ArrayList<>();
                    for (EddyCatalog c : List.of(a, b)) {
                        results.add(pool.submit(() -> {
                            start.await();
                            try {
                                c.createTable(path(name), simpleTable(), false);
                                return true;
                            } catch (TableAlreadyExistException e) {
                                return false;
                            }
                        }));
                    }
                    start.countDown();
                    int wins = 0;
                    for (Future<Boolean> r : results) {
                        wins += r.get(60, TimeUnit.SECONDS) ? 1 : 0;
                    }
                    assertEquals(1, wins, "round " + round);
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }
}
