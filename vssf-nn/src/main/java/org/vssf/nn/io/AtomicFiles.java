package org.vssf.nn.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Atomic file replacement: readers of the target see either the complete old file or the complete
 * new one, never a partial write, and a crash or exception leaves the old file untouched.
 *
 * <p>Protocol: create a fresh temporary file {@code .<name>.<random>.tmp} in the target's
 * directory (same file system, so the rename below cannot turn into a copy), let the body write
 * to it, flush, {@link FileChannel#force(boolean) force(true)} (data and metadata on disk), close,
 * then {@link Files#move} with {@link StandardCopyOption#ATOMIC_MOVE} and {@link
 * StandardCopyOption#REPLACE_EXISTING}, and finally force the directory where the platform allows
 * it (best effort), so the rename itself is durable. On any failure the temporary file is deleted
 * and the exception propagates. The new file gets the default permissions of a newly created file;
 * the old file's permissions are not carried over.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes a file's whole content to a stream. */
  @FunctionalInterface
  public interface WriterBody {
    /**
     * Writes the content to {@code out}. Closing {@code out} is allowed and has no effect; the
     * caller flushes and closes it.
     */
    void write(OutputStream out) throws IOException;
  }

  /**
   * Replaces (or creates) {@code target} with what {@code body} writes, atomically.
   *
   * @throws IOException from the body or the file system; then {@code target} is as it was and
   *     no temporary file remains
   */
  public static void write(Path target, WriterBody body) throws IOException {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    if (dir == null || abs.getFileName() == null) {
      throw new IOException("cannot write " + target + ": it has no parent directory");
    }
    Path tmp = createTemp(dir, abs.getFileName().toString());
    boolean done = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(new NonClosing(Channels.newOutputStream(ch)),
            1 << 16);
        body.write(new NonClosing(out));
        out.flush();
        ch.force(true);
      }
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      done = true;
    } finally {
      if (!done) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException | RuntimeException cleanup) {
          // the original failure is what matters; the name is unique and marked .tmp
        }
      }
    }
    forceDirectory(dir);
  }

  private static Path createTemp(Path dir, String name) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
          + ".tmp");
      try {
        FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return tmp;
      } catch (FileAlreadyExistsException clash) {
        if (attempt >= 16) {
          throw clash;
        }
      }
    }
  }

  /** fsync of the directory entry after the rename; not supported everywhere (e.g. Windows). */
  private static void forceDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | RuntimeException unsupported) {
      // best effort: the file's own content was already forced before the rename
    }
  }

  /** Passes writes through; {@code close()} only flushes, so a body cannot close the channel. */
  private static final class NonClosing extends FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
