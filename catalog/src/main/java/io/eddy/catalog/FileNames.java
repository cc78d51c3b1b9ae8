package io.eddy.catalog;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.apache.flink.table.catalog.exceptions.CatalogException;

/**
 * FileNames maps database and object names, which may hold any character, to file names and
 * back. Letters, digits, {@code _} and {@code -} stay as they are; every other byte of the UTF-8
 * form becomes {@code %XX}, so no name can contain a separator, start with a dot or be {@code ..}.
 *
 * <p>On a case-insensitive file system (the default on macOS) names that differ only in case
 * share a file.
 */
final class FileNames {

    /** MAX_ENCODED_LENGTH keeps {@code <encoded>.json} and its temporary sibling below 255 bytes. */
    static final int MAX_ENCODED_LENGTH = 200;

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private FileNames() {}

    /** encode returns the file name stem of {@code name}; an empty or too long name is an error. */
    static String encode(String name) {
        if (name == null || name.isEmpty()) {
            throw new CatalogException("A catalog name must not be empty.");
        }
        StringBuilder out = new StringBuilder(name.length());
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        if (out.length() > MAX_ENCODED_LENGTH) {
            throw new CatalogException(
                    "The name '" + name + "' is too long for the catalog (" + out.length()
                            + " bytes once encoded, at most " + MAX_ENCODED_LENGTH + ").");
        }
        return out.toString();
    }

    /** decode reverses {@link #encode}; a stem that {@code encode} cannot have made gives empty. */
    static Optional<String> decode(String stem) {
        if (stem.isEmpty()) {
            return Optional.empty();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(stem.length());
        for (int i = 0; i < stem.length(); i++) {
            char c = stem.charAt(i);
            if (c == '%') {
                if (i + 2 >= stem.length()) {
                    return Optional.empty();
                }
                int hi = Character.digit(stem.charAt(i + 1), 16);
                int lo = Character.digit(stem.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return Optional.empty();
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
                bytes.write(c);
            } else {
                return Optional.empty();
            }
        }
        String name = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
        if (stem.length() > MAX_ENCODED_LENGTH || !encode(name).equals(stem)) {
            return Optional.empty();
        }
        return Optional.of(name);
    }
}
