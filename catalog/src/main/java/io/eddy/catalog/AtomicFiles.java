package io.eddy.catalog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** AtomicFiles writes, moves and removes catalog files so that a crash never leaves half a file. */
final class AtomicFiles {

    /** TEMP_SUFFIX ends the names of files being written; listings skip them. */
    static final String TEMP_SUFFIX = ".tmp";

    private AtomicFiles() {}

    /**
     * write replaces {@code target} with {@code bytes}: it writes a temporary file in the same
     * directory, forces it to disk, renames it over the target and forces the directory, so a
     * reader sees the old or the new content and a crash leaves one of them.
     */
    static void write(Path target, byte[] bytes) throws IOException {
        Path dir = target.getParent();
        Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", TEMP_SUFFIX);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        syncDirectory(dir);
    }

    /** rename moves {@code source} to {@code target} in one step; the target must not exist. */
    static void rename(Path source, Path target) throws IOException {
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(target.getParent());
    }

    /** delete removes {@code file} and forces its directory; it reports whether the file existed. */
    static boolean delete(Path file) throws IOException {
        boolean existed = Files.deleteIfExists(file);
        if (existed) {
            syncDirectory(file.getParent());
        }
        return existed;
    }

    /** deleteTree removes {@code dir} and everything below it; a missing directory is fine. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(paths::add);
        }
        for (Path path : paths) {
            try {
                Files.deleteIfExists(path);
            } catch (DirectoryNotEmptyException e) {
                throw new IOException("Could not remove " + path + ": a file appeared in it", e);
            }
        }
        syncDirectory(dir.getParent());
    }

    /** read returns the content of {@code file}, or null when it does not exist. */
    static byte[] read(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * syncDirectory forces a directory's entries (new, renamed or removed names) to disk. Some
     * platforms cannot open a directory for that; there the rename is as durable as the OS makes
     * it.
     */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }
}
