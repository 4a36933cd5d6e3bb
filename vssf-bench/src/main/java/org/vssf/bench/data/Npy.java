package org.vssf.bench.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.vssf.nn.io.AtomicFiles;

/**
 * Writing NumPy {@code .npy} files (format 1.0, C order, little-endian float32 {@code '<f4'} or
 * uint8 {@code '|u1'}), byte-identical to NumPy's {@code np.save}. Whole-file writes are atomic
 * ({@link AtomicFiles}: temporary file in the same directory, then rename); large arrays can be
 * streamed with {@link NpyHeader#encode()} followed by {@link #writeFloats} or raw bytes.
 * Reading: {@link NpyFile}.
 */
public final class Npy {
  private Npy() {}

  /** Writes {@code data} as a float32 array of {@code shape}, atomically. */
  public static void write(Path file, float[] data, long... shape) throws IOException {
    NpyHeader h = checked(NpyDtype.FLOAT32, data.length, shape);
    AtomicFiles.write(file, out -> {
      out.write(h.encode());
      writeFloats(out, data, 0, data.length);
    });
  }

  /** Writes {@code data} as a uint8 array of {@code shape}, atomically. */
  public static void write(Path file, byte[] data, long... shape) throws IOException {
    NpyHeader h = checked(NpyDtype.UINT8, data.length, shape);
    AtomicFiles.write(file, out -> {
      out.write(h.encode());
      out.write(data);
    });
  }

  private static NpyHeader checked(NpyDtype dtype, int length, long[] shape) {
    NpyHeader h = NpyHeader.of(dtype, shape);
    if (h.count() != length) {
      throw new IllegalArgumentException("npy: shape " + NpyHeader.shapeRepr(shape) + " holds "
          + h.count() + " elements but " + length + " were given");
    }
    return h;
  }

  /** Writes {@code data[off .. off+len)} as little-endian float32. */
  public static void writeFloats(OutputStream out, float[] data, int off, int len)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 * Math.min(len, 1 << 16)).order(ByteOrder.LITTLE_ENDIAN);
    int done = 0;
    while (done < len) {
      int n = Math.min(len - done, b.capacity() / 4);
      ((java.nio.Buffer) b).clear();
      b.asFloatBuffer().put(data, off + done, n);
      out.write(b.array(), 0, 4 * n);
      done += n;
    }
  }
}
