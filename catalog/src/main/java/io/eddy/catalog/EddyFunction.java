package io.eddy.catalog;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.flink.table.catalog.CatalogFunction;
import org.apache.flink.table.catalog.FunctionLanguage;
import org.apache.flink.table.resource.ResourceUri;

/** EddyFunction is the immutable {@link CatalogFunction} that {@link EddyCatalog} returns. */
final class EddyFunction implements CatalogFunction {

    private final String className;
    private final FunctionLanguage language;
    private final List<ResourceUri> resources;
    private final Map<String, String> options;

    /** EddyFunction copies the lists and maps it is given. */
    EddyFunction(
            String className,
            FunctionLanguage language,
            List<ResourceUri> resources,
            Map<String, String> options) {
        this.className = className;
        this.language = language;
        this.resources = List.copyOf(resources);
        this.options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    @Override
    public String getClassName() {
        return className;
    }

    @Override
    public CatalogFunction copy() {
        return this;
    }

    @Override
    public Optional<String> getDescription() {
        return Optional.empty();
    }

    @Override
    public Optional<String> getDetailedDescription() {
        return Optional.empty();
    }

    @Override
    public FunctionLanguage getFunctionLanguage() {
        return language;
    }

    @Override
    public List<ResourceUri> getFunctionResources() {
        return resources;
    }

    @Override
    public Map<String, String> getOptions() {
        return options;
    }

    @Override
    public String toString() {
        return "EddyFunction{" + className + ", " + language + ", " + resources + "}";
    }
}
