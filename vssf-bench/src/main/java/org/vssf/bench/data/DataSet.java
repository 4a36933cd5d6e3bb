package org.vssf.bench.data;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A data set directory opened for reading: {@code images.npy} uint8 {@code [N, T, H, W, 3]},
 * {@code states.npy} float32 {@code [N, T, m]}, {@code controls.npy} float32 {@code [N, T−1, p]}
 * and {@code dataset.json} ({@link DataSetInfo}). {@link #open} validates every header, dtype and
 * shape, the file lengths, and that N, T, H, W, m and p agree across the files and with {@code
 * dataset.json}, before reading any data. Images are read per sequence by positional reads (the
 * image file is never loaded whole); reads are thread-safe.
 *
 * <p>The format is documented in {@code docs/data-format.md}.
 */
public final class DataSet implements Closeable {
  /** File names inside a data-set directory. */
  public static final String IMAGES = "images.npy";
  /** File names inside a data-set directory. */
  public static final String STATES = "states.npy";
  /** File names inside a data-set directory. */
  public static final String CONTROLS = "controls.npy";

  private final Path dir;
  private final DataSetInfo info;
  private final NpyFile images;
  private final NpyFile states;
  private final NpyFile controls;

  private DataSet(Path dir, DataSetInfo info, NpyFile images, NpyFile states, NpyFile controls) {
    this.dir = dir;
    this.info = info;
    this.images = images;
    this.states = states;
    this.controls = controls;
  }

  /**
   * Opens and validates the data set in {@code dir}.
   *
   * @throws DataFileException naming the file and the problem
   * @throws IOException if a file cannot be read
   */
  public static DataSet open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new DataFileException(dir, Files.exists(dir) ? "not a directory"
          : "no such data set directory");
    }
    DataSetInfo info = DataSetInfo.read(dir);
    NpyFile img = null;
    NpyFile st = null;
    NpyFile ctl = null;
    try {
      img = openArray(dir, IMAGES);
      st = openArray(dir, STATES);
      ctl = openArray(dir, CONTROLS);
      validate(dir, info, img, st, ctl);
      return new DataSet(dir, info, img, st, ctl);
    } catch (IOException | RuntimeException e) {
      for (NpyFile f : new NpyFile[] {img, st, ctl}) {
        if (f != null) {
          try {
            f.close();
          } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
      }
      throw e;
    }
  }

  private static NpyFile openArray(Path dir, String name) throws IOException {
    try {
      return NpyFile.open(dir.resolve(name));
    } catch (NoSuchFileException e) {
      throw new DataFileException(dir, "data set lacks " + name);
    }
  }

  private static void validate(Path dir, DataSetInfo info, NpyFile img, NpyFile st, NpyFile ctl)
      throws DataFileException {
    NpyHeader ih = img.header();
    NpyHeader sh = st.header();
    NpyHeader ch = ctl.header();
    expect(img, NpyDtype.UINT8, 5, "[N, T, H, W, 3]");
    expect(st, NpyDtype.FLOAT32, 3, "[N, T, m]");
    expect(ctl, NpyDtype.FLOAT32, 3, "[N, T-1, p]");
    if (ih.dim(4) != 3) {
      throw new DataFileException(img.path(), "images must have 3 channels (RGB) in the last"
          + " axis, shape is " + NpyHeader.shapeRepr(ih.shape()));
    }
    long n = ih.dim(0);
    long t = ih.dim(1);
    if (sh.dim(0) != n) {
      throw new DataFileException(st.path(), sh.dim(0) + " sequences, but " + IMAGES + " has "
          + n);
    }
    if (ch.dim(0) != n) {
      throw new DataFileException(ctl.path(), ch.dim(0) + " sequences, but " + IMAGES + " has "
          + n);
    }
    if (sh.dim(1) != t) {
      throw new DataFileException(st.path(), sh.dim(1) + " steps per sequence, but " + IMAGES
          + " has " + t);
    }
    if (ch.dim(1) != t - 1) {
      throw new DataFileException(ctl.path(), ch.dim(1) + " controls per sequence, but sequences"
          + " of length " + t + " need " + (t - 1));
    }
    Path json = dir.resolve(DataSetInfo.FILE);
    check(json, "sequences", info.sequences(), n, IMAGES);
    check(json, "length", info.length(), t, IMAGES);
    check(json, "image_height", info.height(), ih.dim(2), IMAGES);
    check(json, "image_width", info.width(), ih.dim(3), IMAGES);
    check(json, "state_dim", info.stateDim(), sh.dim(2), STATES);
    check(json, "control_dim", info.controlDim(), ch.dim(2), CONTROLS);
  }

  private static void expect(NpyFile f, NpyDtype dtype, int ndim, String layout)
      throws DataFileException {
    NpyHeader h = f.header();
    if (h.dtype() != dtype) {
      throw new DataFileException(f.path(), "dtype " + h.dtype().numpyName() + ", expected "
          + dtype.numpyName() + " " + layout);
    }
    if (h.ndim() != ndim) {
      throw new DataFileException(f.path(), "shape " + NpyHeader.shapeRepr(h.shape())
          + " has " + h.ndim() + " dimensions, expected " + ndim + ": " + layout);
    }
  }

  private static void check(Path json, String field, long declared, long actual, String array)
      throws DataFileException {
    if (declared != actual) {
      throw new DataFileException(json, "\"" + field + "\" is " + declared + " but " + array
          + " has " + actual);
    }
  }

  /**
   * Writes a small data set held in memory into {@code dir} (created if missing): each array file
   * atomically, then {@code dataset.json} last, so a reader never sees a {@code dataset.json}
   * describing arrays that are not all there.
   *
   * @param images {@code N·T·H·W·3} bytes
   * @param states {@code N·T·m} floats
   * @param controls {@code N·(T−1)·p} floats
   */
  public static void write(Path dir, DataSetInfo info, byte[] images, float[] states,
      float[] controls) throws IOException {
    long n = info.sequences();
    long t = info.length();
    Files.createDirectories(dir);
    Npy.write(dir.resolve(IMAGES), images, n, t, info.height(), info.width(), 3);
    Npy.write(dir.resolve(STATES), states, n, t, info.stateDim());
    Npy.write(dir.resolve(CONTROLS), controls, n, t - 1, info.controlDim());
    info.write(dir);
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /** The validated description. */
  public DataSetInfo info() {
    return info;
  }

  /** N. */
  public int sequences() {
    return info.sequences();
  }

  /** T. */
  public int length() {
    return info.length();
  }

  /** Bytes of one sequence's images, {@code T·H·W·3}. */
  public int sequenceImageBytes() {
    return Math.toIntExact((long) info.length() * info.height() * info.width() * 3);
  }

  /**
   * Copies the images of sequences {@code [first, first + count)} ({@code count·T·H·W·3} bytes)
   * to {@code dst[off ..]}.
   */
  public void readImages(int first, int count, byte[] dst, int off) throws IOException {
    long per = sequenceImageBytes();
    images.readBytes(first * per, dst, off, Math.toIntExact(count * per));
  }

  /** The images of sequence {@code i}, {@code [T, H, W, 3]}. */
  public byte[] readImages(int i) throws IOException {
    byte[] out = new byte[sequenceImageBytes()];
    readImages(i, 1, out, 0);
    return out;
  }

  /**
   * Copies the states of sequences {@code [first, first + count)} ({@code count·T·m} floats).
   *
   * @throws DataFileException if a value is NaN or infinite
   */
  public void readStates(int first, int count, float[] dst, int off) throws IOException {
    int per = info.length() * info.stateDim();
    states.readFloats((long) first * per, dst, off, Math.multiplyExact(count, per));
    checkFinite(states, dst, off, count * per, first, per);
  }

  /**
   * Copies the controls of sequences {@code [first, first + count)} ({@code count·(T−1)·p}
   * floats).
   *
   * @throws DataFileException if a value is NaN or infinite
   */
  public void readControls(int first, int count, float[] dst, int off) throws IOException {
    int per = (info.length() - 1) * info.controlDim();
    controls.readFloats((long) first * per, dst, off, Math.multiplyExact(count, per));
    checkFinite(controls, dst, off, count * per, first, per);
  }

  /** All states, {@code [N, T, m]} flattened. */
  public float[] states() throws IOException {
    float[] out = new float[Math.multiplyExact(info.sequences(), info.length() * info.stateDim())];
    readStates(0, info.sequences(), out, 0);
    return out;
  }

  /** All controls, {@code [N, T−1, p]} flattened. */
  public float[] controls() throws IOException {
    float[] out = new float[Math.multiplyExact(info.sequences(),
        (info.length() - 1) * info.controlDim())];
    readControls(0, info.sequences(), out, 0);
    return out;
  }

  private static void checkFinite(NpyFile f, float[] x, int off, int len, int firstSeq, int per)
      throws DataFileException {
    for (int i = 0; i < len; i++) {
      if (!Float.isFinite(x[off + i])) {
        throw new DataFileException(f.path(), "non-finite value " + x[off + i] + " in sequence "
            + (firstSeq + i / per));
      }
    }
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (NpyFile f : new NpyFile[] {images, states, controls}) {
      try {
        f.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
