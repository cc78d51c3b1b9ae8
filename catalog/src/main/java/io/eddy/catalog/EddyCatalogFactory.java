package io.eddy.catalog;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Catalog;
import org.apache.flink.table.catalog.CommonCatalogOptions;
import org.apache.flink.table.factories.CatalogFactory;
import org.apache.flink.table.factories.FactoryUtil;

/**
 * EddyCatalogFactory creates an {@link EddyCatalog} for
 * {@code CREATE CATALOG c WITH ('type'='eddy', 'path'='file:///dir')}.
 *
 * <p>It is found through Java's service loader (META-INF/services), so the jar only has to be on
 * the classpath of the JVM that runs the SQL Gateway (or any TableEnvironment).
 */
public final class EddyCatalogFactory implements CatalogFactory {

    /** IDENTIFIER is the value of the {@code type} option that selects this factory. */
    public static final String IDENTIFIER = "eddy";

    /** PATH is the directory that holds the catalog: a {@code file:} URI or an absolute path. */
    public static final ConfigOption<String> PATH =
            ConfigOptions.key("path")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Directory of the catalog, as a file: URI or an absolute local path. "
                                    + "It is created when missing.");

    /** DEFAULT_DATABASE is the database a session starts in; it is created when missing. */
    public static final ConfigOption<String> DEFAULT_DATABASE =
            ConfigOptions.key(CommonCatalogOptions.DEFAULT_DATABASE_KEY)
                    .stringType()
                    .defaultValue("default")
                    .withDescription("Database a session starts in; created when missing.");

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(PATH);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(DEFAULT_DATABASE);
    }

    @Override
    public Catalog createCatalog(Context context) {
        FactoryUtil.CatalogFactoryHelper helper =
                FactoryUtil.createCatalogFactoryHelper(this, context);
        helper.validate();
        String defaultDatabase = helper.getOptions().get(DEFAULT_DATABASE);
        if (defaultDatabase.isBlank()) {
            throw new ValidationException(
                    "Option 'default-database' of catalog '" + context.getName() + "' is empty.");
        }
        Path root = parsePath(context.getName(), helper.getOptions().get(PATH));
        return new EddyCatalog(context.getName(), defaultDatabase, root);
    }

    /**
     * parsePath turns the {@code path} option into a local directory. It accepts {@code
     * file:///dir}, {@code file:/dir} and {@code /dir}; anything else (a relative path, another
     * file system) is a {@link ValidationException}, because the catalog relies on atomic renames
     * and file locks of a local file system.
     */
    static Path parsePath(String catalogName, String value) {
        String prefix = "Option 'path' of catalog '" + catalogName + "' ";
        if (value.startsWith("file:")) {
            try {
                return Paths.get(new URI(value)).normalize();
            } catch (URISyntaxException | IllegalArgumentException | FileSystemNotFoundException e) {
                throw new ValidationException(
                        prefix + "is not a valid file URI: '" + value + "' (" + e.getMessage() + ")",
                        e);
            }
        }
        if (value.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            throw new ValidationException(
                    prefix + "must be a local directory (file:///...), not '" + value + "'.");
        }
        Path path = Paths.get(value);
        if (!path.isAbsolute()) {
            throw new ValidationException(
                    prefix + "must be an absolute path or a file:/// URI, not '" + value + "'.");
        }
        return path.normalize();
    }
}
