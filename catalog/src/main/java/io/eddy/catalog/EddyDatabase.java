package io.eddy.catalog;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.flink.table.catalog.CatalogDatabase;

/** EddyDatabase is the immutable {@link CatalogDatabase} that {@link EddyCatalog} returns. */
final class EddyDatabase implements CatalogDatabase {

    private final Map<String, String> properties;
    private final String comment;

    /** EddyDatabase copies {@code properties}; {@code comment} may be null. */
    EddyDatabase(Map<String, String> properties, String comment) {
        this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        this.comment = comment;
    }

    @Override
    public Map<String, String> getProperties() {
        return properties;
    }

    @Override
    public String getComment() {
        return comment;
    }

    @Override
    public CatalogDatabase copy() {
        return this;
    }

    @Override
    public CatalogDatabase copy(Map<String, String> properties) {
        return new EddyDatabase(properties, comment);
    }

    @Override
    public Optional<String> getDescription() {
        return Optional.ofNullable(comment);
    }

    @Override
    public Optional<String> getDetailedDescription() {
        return Optional.ofNullable(comment);
    }
}
