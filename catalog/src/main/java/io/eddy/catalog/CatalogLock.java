package io.eddy.catalog;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.flink.table.catalog.exceptions.CatalogException;

/**
 * CatalogLock serialises the changes to one catalog directory, across every catalog instance of
 * every JVM that opens it.
 *
 * <p>Two locks are taken, in this order: a {@link ReentrantLock} shared by all instances in this
 * class loader that use the same directory, then an exclusive {@link FileLock} on {@code
 * <root>/.lock} for other processes. The first is needed because a file lock belongs to the whole
 * JVM: a second {@code tryLock} from the same process throws {@link
 * OverlappingFileLockException} instead of waiting. When the classes are loaded twice in one JVM
 * (two class loaders), that exception is treated as "busy" and retried.
 *
 * <p>Readers take no lock: every file is replaced by an atomic rename, so a reader sees either the
 * old or the new version.
 */
final class CatalogLock {

    /** TIMEOUT bounds how long a change waits for the lock before it fails. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final long MAX_BACKOFF_MILLIS = 50;

    /** LOCKS holds one in-process lock per catalog directory (real path); entries are never removed. */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

    private final Path lockFile;
    private final ReentrantLock local;

    /** CatalogLock guards the catalog directory {@code root}, which must exist. */
    CatalogLock(Path root) {
        Path key;
        try {
            key = root.toRealPath();
        } catch (IOException e) {
            key = root.toAbsolutePath().normalize();
        }
        this.lockFile = key.resolve(".lock");
        this.local = LOCKS.computeIfAbsent(key, k -> new ReentrantLock());
    }

    /**
     * acquire waits up to {@link #TIMEOUT} for both locks and returns a handle that releases them
     * on {@code close}. It is not reentrant: a thread that already holds the lock gets an {@link
     * IllegalStateException} rather than a dead lock with itself.
     */
    Held acquire() {
        if (local.isHeldByCurrentThread()) {
            throw new IllegalStateException("catalog lock " + lockFile + " is already held by this thread");
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        try {
            if (!local.tryLock(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw timeout();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CatalogException("Interrupted while waiting for the catalog lock " + lockFile, e);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            long backoff = 1;
            while (true) {
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock != null) {
                    return new Held(channel, lock);
                }
                if (System.nanoTime() > deadline) {
                    throw timeout();
                }
                Thread.sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            closeQuietly(channel);
            local.unlock();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof CatalogException) {
                throw (CatalogException) e;
            }
            throw new CatalogException("Could not lock the catalog with " + lockFile, e);
        }
    }

    private CatalogException timeout() {
        return new CatalogException(
                "Timed out after " + TIMEOUT.toSeconds() + " s waiting for the catalog lock " + lockFile);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // The lock is released with the channel either way.
        }
    }

    /** Held is a taken {@link CatalogLock}; closing it releases the file lock, then the local one. */
    final class Held implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            try {
                lock.release();
            } catch (IOException ignored) {
                // Closing the channel below releases it too.
            } finally {
                closeQuietly(channel);
                local.unlock();
            }
        }
    }
}
