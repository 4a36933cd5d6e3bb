package org.vssf.bench.data;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A NumPy {@code .npy} file opened for reading: {@link #open} validates the whole header and the
 * file length ({@link NpyHeader#read}) before any data is read; then any run of elements can be
 * read by positional reads, without loading the rest of the file (e.g. one sequence's images).
 * Reads are thread-safe ({@link FileChannel} positional reads).
 */
public final class NpyFile implements Closeable {
  private static final int CHUNK = 1 << 20;

  private final Path path;
  private final FileChannel channel;
  private final NpyHeader header;

  private NpyFile(Path path, FileChannel channel, NpyHeader header) {
    this.path = path;
    this.channel = channel;
    this.header = header;
  }

  /**
   * Opens and validates {@code file}.
   *
   * @throws DataFileException if the header or the file length is invalid
   * @throws IOException if the file cannot be opened or read
   */
  public static NpyFile open(Path file) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      NpyHeader h = NpyHeader.read(ch, ch.size(), file);
      return new NpyFile(file, ch, h);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** The validated header. */
  public NpyHeader header() {
    return header;
  }

  /** The file. */
  public Path path() {
    return path;
  }

  /**
   * Copies uint8 elements {@code [first, first + len)} (flat C-order index) to {@code dst[off ..]}.
   *
   * @throws IllegalArgumentException if the array is not uint8 or the range is outside it
   */
  public void readBytes(long first, byte[] dst, int off, int len) throws IOException {
    check(NpyDtype.UINT8, first, len, dst.length, off);
    ByteBuffer b = ByteBuffer.wrap(dst, off, len);
    long pos = header.dataOffset() + first;
    while (b.hasRemaining()) {
      int n = channel.read(b, pos + (b.position() - off));
      if (n < 0) {
        throw new DataFileException(path, "file ended early (was it truncated while open?)");
      }
    }
  }

  /**
   * Copies float32 elements {@code [first, first + len)} (flat C-order index) to {@code dst[off
   * ..]}.
   *
   * @throws IllegalArgumentException if the array is not float32 or the range is outside it
   */
  public void readFloats(long first, float[] dst, int off, int len) throws IOException {
    check(NpyDtype.FLOAT32, first, len, dst.length, off);
    int done = 0;
    while (done < len) {
      int n = Math.min(CHUNK / 4, len - done);
      ByteBuffer b = NpyHeader.readFully(channel, header.dataOffset() + 4 * (first + done), 4 * n,
          path);
      b.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, off + done, n);
      done += n;
    }
  }

  /** All elements of a float32 array. */
  public float[] readAllFloats() throws IOException {
    float[] out = new float[toIntCount()];
    readFloats(0, out, 0, out.length);
    return out;
  }

  /** All elements of a uint8 array. */
  public byte[] readAllBytes() throws IOException {
    byte[] out = new byte[toIntCount()];
    readBytes(0, out, 0, out.length);
    return out;
  }

  private int toIntCount() throws DataFileException {
    if (header.count() > Integer.MAX_VALUE - 8) {
      throw new DataFileException(path, header + " has too many elements to load at once");
    }
    return (int) header.count();
  }

  private void check(NpyDtype want, long first, int len, int dstLength, int off) {
    if (header.dtype() != want) {
      throw new IllegalArgumentException(path + ": holds " + header.dtype().numpyName()
          + ", not " + want.numpyName());
    }
    if (first < 0 || len < 0 || first > header.count() - len || off < 0 || off > dstLength - len) {
      throw new IllegalArgumentException(path + ": elements [" + first + ", " + (first + len)
          + ") into [" + off + ", " + ((long) off + len) + ") of an array of " + dstLength
          + " are outside " + header);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
