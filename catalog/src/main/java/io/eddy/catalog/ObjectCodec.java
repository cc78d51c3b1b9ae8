package io.eddy.catalog;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.table.catalog.CatalogDatabase;
import org.apache.flink.table.catalog.CatalogFunction;
import org.apache.flink.table.catalog.CatalogPropertiesUtil;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.CatalogView;
import org.apache.flink.table.catalog.FunctionLanguage;
import org.apache.flink.table.catalog.ResolvedCatalogTable;
import org.apache.flink.table.catalog.ResolvedCatalogView;
import org.apache.flink.table.expressions.DefaultSqlFactory;
import org.apache.flink.table.resource.ResourceType;
import org.apache.flink.table.resource.ResourceUri;

/**
 * ObjectCodec turns catalog objects into the JSON documents stored on disk and back.
 *
 * <p>Tables and views are flattened by Flink's own {@link CatalogPropertiesUtil} into the string
 * properties every Flink catalog uses ({@code schema.0.name}, {@code schema.watermark.0.*},
 * {@code schema.primary-key.*}, {@code comment}, {@code partition.keys.*}, the WITH options), so
 * computed columns and watermarks keep their SQL text. Every document has a {@code format}
 * number; a reader refuses a newer one instead of guessing.
 */
final class ObjectCodec {

    /** FORMAT is the version of the documents this code writes and the newest it reads. */
    static final int FORMAT = 1;

    static final String KIND_TABLE = "TABLE";
    static final String KIND_VIEW = "VIEW";

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ObjectCodec() {}

    /** encodeTable returns the document of a resolved table. */
    static byte[] encodeTable(ResolvedCatalogTable table) throws IOException {
        ObjectNode doc = header(KIND_TABLE);
        doc.set("properties", stringMap(CatalogPropertiesUtil.serializeCatalogTable(table, DefaultSqlFactory.INSTANCE)));
        return JSON.writeValueAsBytes(doc);
    }

    /** decodeTable returns the unresolved table of a document that {@link #encodeTable} wrote. */
    static CatalogTable decodeTable(byte[] bytes) throws IOException {
        JsonNode doc = parse(bytes, KIND_TABLE);
        return CatalogPropertiesUtil.deserializeCatalogTable(readStringMap(doc.path("properties")));
    }

    /**
     * encodeView returns the document of a resolved view: its schema, comment and options as
     * properties, and both forms of its query.
     */
    static byte[] encodeView(ResolvedCatalogView view) throws IOException {
        ObjectNode doc = header(KIND_VIEW);
        doc.put("originalQuery", view.getOriginalQuery());
        doc.put("expandedQuery", view.getExpandedQuery());
        doc.set("properties", stringMap(CatalogPropertiesUtil.serializeCatalogView(view, DefaultSqlFactory.INSTANCE)));
        return JSON.writeValueAsBytes(doc);
    }

    /** decodeView returns the unresolved view of a document that {@link #encodeView} wrote. */
    static CatalogView decodeView(byte[] bytes) throws IOException {
        JsonNode doc = parse(bytes, KIND_VIEW);
        // Flink has no view deserializer, but a view's properties use the table layout.
        CatalogTable shape = CatalogPropertiesUtil.deserializeCatalogTable(readStringMap(doc.path("properties")));
        String comment = shape.getComment();
        return CatalogView.of(
                shape.getUnresolvedSchema(),
                comment == null || comment.isEmpty() ? null : comment,
                requiredText(doc, "originalQuery"),
                requiredText(doc, "expandedQuery"),
                shape.getOptions());
    }

    /** encodeFunction returns the document of a function. */
    static byte[] encodeFunction(CatalogFunction function) throws IOException {
        ObjectNode doc = header("FUNCTION");
        doc.put("className", function.getClassName());
        doc.put("language", function.getFunctionLanguage().name());
        ArrayNode resources = doc.putArray("resources");
        for (ResourceUri uri : function.getFunctionResources()) {
            ObjectNode resource = resources.addObject();
            resource.put("type", uri.getResourceType().name());
            resource.put("uri", uri.getUri());
        }
        doc.set("options", stringMap(function.getOptions()));
        return JSON.writeValueAsBytes(doc);
    }

    /** decodeFunction returns the function of a document that {@link #encodeFunction} wrote. */
    static CatalogFunction decodeFunction(byte[] bytes) throws IOException {
        JsonNode doc = parse(bytes, "FUNCTION");
        List<ResourceUri> resources = new ArrayList<>();
        for (JsonNode resource : doc.path("resources")) {
            resources.add(new ResourceUri(
                    ResourceType.valueOf(requiredText(resource, "type")), requiredText(resource, "uri")));
        }
        return new EddyFunction(
                requiredText(doc, "className"),
                FunctionLanguage.valueOf(requiredText(doc, "language")),
                resources,
                readStringMap(doc.path("options")));
    }

    /** encodeDatabase returns the document of a database. */
    static byte[] encodeDatabase(CatalogDatabase database) throws IOException {
        ObjectNode doc = header("DATABASE");
        if (database.getComment() != null) {
            doc.put("comment", database.getComment());
        }
        doc.set("properties", stringMap(database.getProperties()));
        return JSON.writeValueAsBytes(doc);
    }

    /** decodeDatabase returns the database of a document that {@link #encodeDatabase} wrote. */
    static CatalogDatabase decodeDatabase(byte[] bytes) throws IOException {
        JsonNode doc = parse(bytes, "DATABASE");
        JsonNode comment = doc.get("comment");
        return new EddyDatabase(
                readStringMap(doc.path("properties")),
                comment == null || comment.isNull() ? null : comment.asText());
    }

    private static ObjectNode header(String kind) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("format", FORMAT);
        doc.put("kind", kind);
        return doc;
    }

    private static JsonNode parse(byte[] bytes, String kind) throws IOException {
        JsonNode doc = JSON.readTree(bytes);
        if (doc == null || !doc.isObject()) {
            throw new IOException("not a JSON object");
        }
        int format = doc.path("format").asInt(-1);
        if (format < 1 || format > FORMAT) {
            throw new IOException("unsupported format " + doc.path("format") + " (this catalog reads 1 to " + FORMAT + ")");
        }
        String actual = doc.path("kind").asText();
        if (!kind.equals(actual)) {
            throw new IOException("expected a " + kind + " document, found kind '" + actual + "'");
        }
        return doc;
    }

    private static String requiredText(JsonNode node, String field) throws IOException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IOException("field '" + field + "' is missing or not a string");
        }
        return value.asText();
    }

    /** stringMap writes a map with sorted keys, so files diff well and compare byte for byte. */
    private static ObjectNode stringMap(Map<String, String> map) {
        ObjectNode node = JSON.createObjectNode();
        new TreeMap<>(map).forEach(node::put);
        return node;
    }

    private static Map<String, String> readStringMap(JsonNode node) throws IOException {
        Map<String, String> map = new TreeMap<>();
        if (node.isMissingNode() || node.isNull()) {
            return map;
        }
        if (!node.isObject()) {
            throw new IOException("expected an object of strings");
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!field.getValue().isTextual()) {
                throw new IOException("property '" + field.getKey() + "' is not a string");
            }
            map.put(field.getKey(), field.getValue().asText());
        }
        return map;
    }
}
