package io.eddy.catalog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.apache.flink.table.catalog.AbstractCatalog;
import org.apache.flink.table.catalog.CatalogBaseTable;
import org.apache.flink.table.catalog.CatalogDatabase;
import org.apache.flink.table.catalog.CatalogFunction;
import org.apache.flink.table.catalog.CatalogPartition;
import org.apache.flink.table.catalog.CatalogPartitionSpec;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.ObjectPath;
import org.apache.flink.table.catalog.ResolvedCatalogTable;
import org.apache.flink.table.catalog.ResolvedCatalogView;
import org.apache.flink.table.catalog.exceptions.CatalogException;
import org.apache.flink.table.catalog.exceptions.DatabaseAlreadyExistException;
import org.apache.flink.table.catalog.exceptions.DatabaseNotEmptyException;
import org.apache.flink.table.catalog.exceptions.DatabaseNotExistException;
import org.apache.flink.table.catalog.exceptions.FunctionAlreadyExistException;
import org.apache.flink.table.catalog.exceptions.FunctionNotExistException;
import org.apache.flink.table.catalog.exceptions.PartitionNotExistException;
import org.apache.flink.table.catalog.exceptions.TableAlreadyExistException;
import org.apache.flink.table.catalog.exceptions.TableNotExistException;
import org.apache.flink.table.catalog.exceptions.TableNotPartitionedException;
import org.apache.flink.table.catalog.stats.CatalogColumnStatistics;
import org.apache.flink.table.catalog.stats.CatalogTableStatistics;
import org.apache.flink.table.expressions.Expression;

/**
 * EddyCatalog is a Flink catalog kept as one JSON file per object in a local directory:
 *
 * <pre>
 * &lt;path&gt;/.lock                                 lock file for changes
 * &lt;path&gt;/&lt;database&gt;/database.json              comment and properties; its presence makes the database
 * &lt;path&gt;/&lt;database&gt;/tables/&lt;table&gt;.json        CatalogTable
 * &lt;path&gt;/&lt;database&gt;/views/&lt;view&gt;.json          CatalogView
 * &lt;path&gt;/&lt;database&gt;/functions/&lt;function&gt;.json  CatalogFunction
 * </pre>
 *
 * <p>Names are encoded by {@link FileNames}. Nothing is cached: every call reads the files, so a
 * change made through one instance (another gateway session, another JVM) is seen by every other
 * instance at its next call. Changes are serialised by a {@link CatalogLock} and every file is
 * replaced atomically ({@link AtomicFiles}); readers take no lock.
 *
 * <p>Tables and views share one namespace, as Flink requires. Partitions, statistics, materialized
 * tables and models are not supported: statistics read as unknown, a table has no catalog
 * partitions, and changing either fails with {@link UnsupportedOperationException}.
 *
 * <p>An instance is safe for concurrent use.
 */
public final class EddyCatalog extends AbstractCatalog {

    static final String DATABASE_FILE = "database.json";
    static final String SUFFIX = ".json";

    /** Kind is a directory of objects inside a database directory. */
    enum Kind {
        TABLES("tables"),
        VIEWS("views"),
        FUNCTIONS("functions");

        final String dir;

        Kind(String dir) {
            this.dir = dir;
        }
    }

    private final Path root;

    /** lock is set by {@link #open()}, once the directory exists. */
    private volatile CatalogLock lock;

    /**
     * EddyCatalog keeps catalog {@code name} in the local directory {@code root}; {@link #open()}
     * creates the directory and the default database when they are missing.
     */
    public EddyCatalog(String name, String defaultDatabase, Path root) {
        super(name, defaultDatabase);
        this.root = root.toAbsolutePath().normalize();
    }

    /** root returns the catalog's directory. */
    public Path root() {
        return root;
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void open() throws CatalogException {
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new CatalogException(
                    "Path " + root + " of catalog '" + getName() + "' exists but is not a directory.");
        }
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new CatalogException(
                    "Could not create the directory " + root + " of catalog '" + getName() + "'.", e);
        }
        lock = new CatalogLock(root);
        try {
            createDatabase(getDefaultDatabase(), new EddyDatabase(Map.of(), null), true);
        } catch (DatabaseAlreadyExistException e) {
            throw new IllegalStateException("ignoreIfExists was set", e);
        }
    }

    @Override
    public void close() throws CatalogException {
        // Nothing is held between calls.
    }

    // ------------------------------------------------------------------ databases

    @Override
    public List<String> listDatabases() throws CatalogException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> entries = listOrEmpty(root)) {
            entries.forEach(dir -> FileNames.decode(dir.getFileName().toString())
                    .filter(name -> Files.isRegularFile(dir.resolve(DATABASE_FILE)))
                    .ifPresent(names::add));
        } catch (IOException e) {
            throw failure("list the databases", e);
        }
        Collections.sort(names);
        return names;
    }

    @Override
    public CatalogDatabase getDatabase(String databaseName)
            throws DatabaseNotExistException, CatalogException {
        Path file = databaseDir(databaseName).resolve(DATABASE_FILE);
        byte[] bytes = read(file, "read database '" + databaseName + "'");
        if (bytes == null) {
            throw new DatabaseNotExistException(getName(), databaseName);
        }
        try {
            return ObjectCodec.decodeDatabase(bytes);
        } catch (IOException | RuntimeException e) {
            throw corrupt(file, e);
        }
    }

    @Override
    public boolean databaseExists(String databaseName) throws CatalogException {
        return Files.isRegularFile(databaseDir(databaseName).resolve(DATABASE_FILE));
    }

    @Override
    public void createDatabase(String name, CatalogDatabase database, boolean ignoreIfExists)
            throws DatabaseAlreadyExistException, CatalogException {
        Path dir = databaseDir(name);
        try (CatalogLock.Held held = lock().acquire()) {
            if (databaseExists(name)) {
                if (ignoreIfExists) {
                    return;
                }
                throw new DatabaseAlreadyExistException(getName(), name);
            }
            // A directory without database.json is what an interrupted drop leaves behind.
            AtomicFiles.deleteTree(dir);
            for (Kind kind : Kind.values()) {
                Files.createDirectories(dir.resolve(kind.dir));
            }
            AtomicFiles.syncDirectory(root);
            AtomicFiles.write(dir.resolve(DATABASE_FILE), ObjectCodec.encodeDatabase(database));
        } catch (IOException e) {
            throw failure("create database '" + name + "'", e);
        }
    }

    @Override
    public void dropDatabase(String name, boolean ignoreIfNotExists, boolean cascade)
            throws DatabaseNotExistException, DatabaseNotEmptyException, CatalogException {
        Path dir = databaseDir(name);
        try (CatalogLock.Held held = lock().acquire()) {
            if (!databaseExists(name)) {
                if (ignoreIfNotExists) {
                    return;
                }
                throw new DatabaseNotExistException(getName(), name);
            }
            if (!cascade) {
                for (Kind kind : Kind.values()) {
                    if (!listNames(name, kind).isEmpty()) {
                        throw new DatabaseNotEmptyException(getName(), name);
                    }
                }
            }
            // database.json goes first: from then on the database is gone, even if a crash
            // leaves the rest of the directory behind.
            AtomicFiles.delete(dir.resolve(DATABASE_FILE));
            AtomicFiles.deleteTree(dir);
        } catch (IOException e) {
            throw failure("drop database '" + name + "'", e);
        }
    }

    @Override
    public void alterDatabase(String name, CatalogDatabase newDatabase, boolean ignoreIfNotExists)
            throws DatabaseNotExistException, CatalogException {
        try (CatalogLock.Held held = lock().acquire()) {
            if (!databaseExists(name)) {
                if (ignoreIfNotExists) {
                    return;
                }
                throw new DatabaseNotExistException(getName(), name);
            }
            AtomicFiles.write(databaseDir(name).resolve(DATABASE_FILE), ObjectCodec.encodeDatabase(newDatabase));
        } catch (IOException e) {
            throw failure("alter database '" + name + "'", e);
        }
    }

    // ------------------------------------------------------------------ tables and views

    @Override
    public List<String> listTables(String databaseName)
            throws DatabaseNotExistException, CatalogException {
        requireDatabase(databaseName);
        List<String> names = new ArrayList<>(listNames(databaseName, Kind.TABLES));
        names.addAll(listNames(databaseName, Kind.VIEWS));
        Collections.sort(names);
        return names;
    }

    @Override
    public List<String> listViews(String databaseName)
            throws DatabaseNotExistException, CatalogException {
        requireDatabase(databaseName);
        return listNames(databaseName, Kind.VIEWS);
    }

    @Override
    public CatalogBaseTable getTable(ObjectPath tablePath)
            throws TableNotExistException, CatalogException {
        Path tableFile = objectFile(tablePath, Kind.TABLES);
        byte[] bytes = read(tableFile, "read table " + tablePath.getFullName());
        if (bytes != null) {
            try {
                return ObjectCodec.decodeTable(bytes);
            } catch (IOException | RuntimeException e) {
                throw corrupt(tableFile, e);
            }
        }
        Path viewFile = objectFile(tablePath, Kind.VIEWS);
        bytes = read(viewFile, "read view " + tablePath.getFullName());
        if (bytes != null) {
            try {
                return ObjectCodec.decodeView(bytes);
            } catch (IOException | RuntimeException e) {
                throw corrupt(viewFile, e);
            }
        }
        throw new TableNotExistException(getName(), tablePath);
    }

    @Override
    public boolean tableExists(ObjectPath tablePath) throws CatalogException {
        return findTableKind(tablePath).isPresent();
    }

    @Override
    public void createTable(ObjectPath tablePath, CatalogBaseTable table, boolean ignoreIfExists)
            throws TableAlreadyExistException, DatabaseNotExistException, CatalogException {
        Kind kind = kindOf(table, tablePath);
        byte[] bytes = encode(table, tablePath);
        try (CatalogLock.Held held = lock().acquire()) {
            requireDatabase(tablePath.getDatabaseName());
            if (tableExists(tablePath)) {
                if (ignoreIfExists) {
                    return;
                }
                throw new TableAlreadyExistException(getName(), tablePath);
            }
            AtomicFiles.write(objectFile(tablePath, kind), bytes);
        } catch (IOException e) {
            throw failure("create " + tablePath.getFullName(), e);
        }
    }

    @Override
    public void alterTable(ObjectPath tablePath, CatalogBaseTable newTable, boolean ignoreIfNotExists)
            throws TableNotExistException, CatalogException {
        Kind kind = kindOf(newTable, tablePath);
        byte[] bytes = encode(newTable, tablePath);
        try (CatalogLock.Held held = lock().acquire()) {
            Optional<Kind> existing = findTableKind(tablePath);
            if (existing.isEmpty()) {
                if (ignoreIfNotExists) {
                    return;
                }
                throw new TableNotExistException(getName(), tablePath);
            }
            if (existing.get() != kind) {
                throw new CatalogException(
                        "Cannot alter " + tablePath.getFullName() + " in catalog '" + getName()
                                + "': it is a " + singular(existing.get()) + ", not a " + singular(kind) + ".");
            }
            AtomicFiles.write(objectFile(tablePath, kind), bytes);
        } catch (IOException e) {
            throw failure("alter " + tablePath.getFullName(), e);
        }
    }

    @Override
    public void dropTable(ObjectPath tablePath, boolean ignoreIfNotExists)
            throws TableNotExistException, CatalogException {
        try (CatalogLock.Held held = lock().acquire()) {
            Optional<Kind> existing = findTableKind(tablePath);
            if (existing.isEmpty()) {
                if (ignoreIfNotExists) {
                    return;
                }
                throw new TableNotExistException(getName(), tablePath);
            }
            AtomicFiles.delete(objectFile(tablePath, existing.get()));
        } catch (IOException e) {
            throw failure("drop " + tablePath.getFullName(), e);
        }
    }

    @Override
    public void renameTable(ObjectPath tablePath, String newTableName, boolean ignoreIfNotExists)
            throws TableNotExistException, TableAlreadyExistException, CatalogException {
        ObjectPath target = new ObjectPath(tablePath.getDatabaseName(), newTableName);
        try (CatalogLock.Held held = lock().acquire()) {
            Optional<Kind> existing = findTableKind(tablePath);
            if (existing.isEmpty()) {
                if (ignoreIfNotExists) {
                    return;
                }
                throw new TableNotExistException(getName(), tablePath);
            }
            if (tableExists(target)) {
                throw new TableAlreadyExistException(getName(), target);
            }
            AtomicFiles.rename(objectFile(tablePath, existing.get()), objectFile(target, existing.get()));
        } catch (IOException e) {
            throw failure("rename " + tablePath.getFullName() + " to " + newTableName, e);
        }
    }

    // ------------------------------------------------------------------ functions

    @Override
    public List<String> listFunctions(String databaseName)
            throws DatabaseNotExistException, CatalogException {
        requireDatabase(databaseName);
        return listNames(databaseName, Kind.FUNCTIONS);
    }

    @Override
    public CatalogFunction getFunction(ObjectPath functionPath)
            throws FunctionNotExistException, CatalogException {
        Path file = objectFile(functionPath, Kind.FUNCTIONS);
        byte[] bytes = read(file, "read function " + functionPath.getFullName());
        if (bytes == null) {
            throw new FunctionNotExistException(getName(), functionPath);
        }
        try {
            return ObjectCodec.decodeFunction(bytes);
        } catch (IOException | RuntimeException e) {
            throw corrupt(file, e);
        }
    }

    @Override
    public boolean functionExists(ObjectPath functionPath) throws CatalogException {
        return Files.isRegularFile(objectFile(functionPath, Kind.FUNCTIONS));
    }

    @Override
    public void createFunction(ObjectPath functionPath, CatalogFunction function, boolean ignoreIfExists)
            throws FunctionAlreadyExistException, DatabaseNotExistException, CatalogException {
        byte[] bytes = encode(function, functionPath);
        try (CatalogLock.Held held = lock().acquire()) {
            requireDatabase(functionPath.getDatabaseName());
            if (functionExists(functionPath)) {
                if (ignoreIfExists) {
                    return;
                }
                throw new FunctionAlreadyExistException(getName(), functionPath);
            }
            AtomicFiles.write(objectFile(functionPath, Kind.FUNCTIONS), bytes);
        } catch (IOException e) {
            throw failure("create function " + functionPath.getFullName(), e);
        }
    }

    @Override
    public void alterFunction(ObjectPath functionPath, CatalogFunction newFunction, boolean ignoreIfNotExists)
            throws FunctionNotExistException, CatalogException {
        byte[] bytes = encode(newFunction, functionPath);
        try (CatalogLock.Held held = lock().acquire()) {
            if (!functionExists(functionPath)) {
                if (ignoreIfNotExists) {
                    return;
                }
                throw new FunctionNotExistException(getName(), functionPath);
            }
            AtomicFiles.write(objectFile(functionPath, Kind.FUNCTIONS), bytes);
        } catch (IOException e) {
            throw failure("alter function " + functionPath.getFullName(), e);
        }
    }

    @Override
    public void dropFunction(ObjectPath functionPath, boolean ignoreIfNotExists)
            throws FunctionNotExistException, CatalogException {
        try (CatalogLock.Held held = lock().acquire()) {
            if (!AtomicFiles.delete(objectFile(functionPath, Kind.FUNCTIONS)) && !ignoreIfNotExists) {
                throw new FunctionNotExistException(getName(), functionPath);
            }
        } catch (IOException e) {
            throw failure("drop function " + functionPath.getFullName(), e);
        }
    }

    // ------------------------------------------------------------------ partitions (none)

    @Override
    public List<CatalogPartitionSpec> listPartitions(ObjectPath tablePath)
            throws TableNotExistException, TableNotPartitionedException, CatalogException {
        requirePartitioned(tablePath);
        return Collections.emptyList();
    }

    @Override
    public List<CatalogPartitionSpec> listPartitions(ObjectPath tablePath, CatalogPartitionSpec partitionSpec)
            throws TableNotExistException, TableNotPartitionedException, CatalogException {
        requirePartitioned(tablePath);
        return Collections.emptyList();
    }

    @Override
    public List<CatalogPartitionSpec> listPartitionsByFilter(ObjectPath tablePath, List<Expression> filters)
            throws TableNotExistException, TableNotPartitionedException, CatalogException {
        requirePartitioned(tablePath);
        return Collections.emptyList();
    }

    @Override
    public CatalogPartition getPartition(ObjectPath tablePath, CatalogPartitionSpec partitionSpec)
            throws PartitionNotExistException, CatalogException {
        throw new PartitionNotExistException(getName(), tablePath, partitionSpec);
    }

    @Override
    public boolean partitionExists(ObjectPath tablePath, CatalogPartitionSpec partitionSpec)
            throws CatalogException {
        return false;
    }

    @Override
    public void createPartition(ObjectPath tablePath, CatalogPartitionSpec partitionSpec,
            CatalogPartition partition, boolean ignoreIfExists) {
        throw unsupported("partitions");
    }

    @Override
    public void dropPartition(ObjectPath tablePath, CatalogPartitionSpec partitionSpec, boolean ignoreIfNotExists) {
        throw unsupported("partitions");
    }

    @Override
    public void alterPartition(ObjectPath tablePath, CatalogPartitionSpec partitionSpec,
            CatalogPartition newPartition, boolean ignoreIfNotExists) {
        throw unsupported("partitions");
    }

    // ------------------------------------------------------------------ statistics (unknown)

    @Override
    public CatalogTableStatistics getTableStatistics(ObjectPath tablePath) throws CatalogException {
        return CatalogTableStatistics.UNKNOWN;
    }

    @Override
    public CatalogColumnStatistics getTableColumnStatistics(ObjectPath tablePath) throws CatalogException {
        return CatalogColumnStatistics.UNKNOWN;
    }

    @Override
    public CatalogTableStatistics getPartitionStatistics(ObjectPath tablePath, CatalogPartitionSpec partitionSpec)
            throws CatalogException {
        return CatalogTableStatistics.UNKNOWN;
    }

    @Override
    public CatalogColumnStatistics getPartitionColumnStatistics(ObjectPath tablePath,
            CatalogPartitionSpec partitionSpec) throws CatalogException {
        return CatalogColumnStatistics.UNKNOWN;
    }

    @Override
    public void alterTableStatistics(ObjectPath tablePath, CatalogTableStatistics tableStatistics,
            boolean ignoreIfNotExists) {
        throw unsupported("statistics");
    }

    @Override
    public void alterTableColumnStatistics(ObjectPath tablePath, CatalogColumnStatistics columnStatistics,
            boolean ignoreIfNotExists) {
        throw unsupported("statistics");
    }

    @Override
    public void alterPartitionStatistics(ObjectPath tablePath, CatalogPartitionSpec partitionSpec,
            CatalogTableStatistics partitionStatistics, boolean ignoreIfNotExists) {
        throw unsupported("statistics");
    }

    @Override
    public void alterPartitionColumnStatistics(ObjectPath tablePath, CatalogPartitionSpec partitionSpec,
            CatalogColumnStatistics columnStatistics, boolean ignoreIfNotExists) {
        throw unsupported("statistics");
    }

    // ------------------------------------------------------------------ helpers

    private CatalogLock lock() {
        CatalogLock l = lock;
        if (l == null) {
            throw new CatalogException("Catalog '" + getName() + "' is not open.");
        }
        return l;
    }

    private Path databaseDir(String databaseName) {
        return root.resolve(FileNames.encode(databaseName));
    }

    private Path objectFile(ObjectPath path, Kind kind) {
        return databaseDir(path.getDatabaseName()).resolve(kind.dir).resolve(FileNames.encode(path.getObjectName()) + SUFFIX);
    }

    private void requireDatabase(String databaseName) throws DatabaseNotExistException {
        if (!databaseExists(databaseName)) {
            throw new DatabaseNotExistException(getName(), databaseName);
        }
    }

    private Optional<Kind> findTableKind(ObjectPath path) {
        if (Files.isRegularFile(objectFile(path, Kind.TABLES))) {
            return Optional.of(Kind.TABLES);
        }
        if (Files.isRegularFile(objectFile(path, Kind.VIEWS))) {
            return Optional.of(Kind.VIEWS);
        }
        return Optional.empty();
    }

    private void requirePartitioned(ObjectPath tablePath) throws TableNotExistException, TableNotPartitionedException {
        CatalogBaseTable table = getTable(tablePath);
        if (!(table instanceof CatalogTable) || !((CatalogTable) table).isPartitioned()) {
            throw new TableNotPartitionedException(getName(), tablePath);
        }
    }

    /** listNames returns the sorted names of one kind of object in a database. */
    private List<String> listNames(String databaseName, Kind kind) {
        List<String> names = new ArrayList<>();
        try (Stream<Path> entries = listOrEmpty(databaseDir(databaseName).resolve(kind.dir))) {
            entries.map(p -> p.getFileName().toString())
                    .filter(f -> f.endsWith(SUFFIX))
                    .forEach(f -> FileNames.decode(f.substring(0, f.length() - SUFFIX.length())).ifPresent(names::add));
        } catch (IOException e) {
            throw failure("list the " + kind.dir + " of database '" + databaseName + "'", e);
        }
        Collections.sort(names);
        return names;
    }

    private static Stream<Path> listOrEmpty(Path dir) throws IOException {
        try {
            return Files.list(dir);
        } catch (NoSuchFileException e) {
            return Stream.empty();
        }
    }

    private Kind kindOf(CatalogBaseTable table, ObjectPath path) {
        switch (table.getTableKind()) {
            case TABLE:
                return Kind.TABLES;
            case VIEW:
                return Kind.VIEWS;
            default:
                throw new UnsupportedOperationException(
                        "Catalog '" + getName() + "' (type 'eddy') cannot store " + path.getFullName()
                                + ": " + table.getTableKind() + " objects are not supported.");
        }
    }

    private byte[] encode(CatalogBaseTable table, ObjectPath path) {
        try {
            if (table instanceof ResolvedCatalogTable) {
                return ObjectCodec.encodeTable((ResolvedCatalogTable) table);
            }
            if (table instanceof ResolvedCatalogView) {
                return ObjectCodec.encodeView((ResolvedCatalogView) table);
            }
        } catch (IOException e) {
            throw failure("encode " + path.getFullName(), e);
        }
        throw new CatalogException(
                "Catalog '" + getName() + "' stores only resolved tables and views, got "
                        + table.getClass().getName() + " for " + path.getFullName() + ".");
    }

    private byte[] encode(CatalogFunction function, ObjectPath path) {
        try {
            return ObjectCodec.encodeFunction(function);
        } catch (IOException e) {
            throw failure("encode function " + path.getFullName(), e);
        }
    }

    private byte[] read(Path file, String what) {
        try {
            return AtomicFiles.read(file);
        } catch (IOException e) {
            throw failure(what, e);
        }
    }

    private static String singular(Kind kind) {
        return kind == Kind.VIEWS ? "view" : kind == Kind.TABLES ? "table" : "function";
    }

    private CatalogException failure(String what, Exception cause) {
        return new CatalogException("Could not " + what + " in catalog '" + getName() + "' at " + root + ".", cause);
    }

    private CatalogException corrupt(Path file, Exception cause) {
        return new CatalogException(
                "Catalog '" + getName() + "' cannot read " + file + ": " + cause.getMessage(), cause);
    }

    private UnsupportedOperationException unsupported(String what) {
        return new UnsupportedOperationException("Catalog '" + getName() + "' (type 'eddy') does not support " + what + ".");
    }
}
