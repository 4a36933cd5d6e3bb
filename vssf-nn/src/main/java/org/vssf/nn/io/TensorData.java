package org.vssf.nn.io;

import java.util.Arrays;

/**
 * A named tensor with its values: shape (row-major, {@code []} for a scalar) and, for {@link
 * Dtype#F32}, {@code product(shape)} float values in row-major order. Immutable: the constructor
 * and {@link #values()} copy.
 *
 * <p>Tensors of other dtypes appear only in what {@link SafeTensors#read} returns for foreign
 * files: their sizes are validated but their data is not loaded, and {@link #values()} throws.
 */
public final class TensorData {
  private final String name;
  private final Dtype dtype;
  private final int[] shape;
  private final float[] values; // null unless F32
  private final String file; // where a non-F32 tensor came from, for the error message

  /**
   * An F32 tensor.
   *
   * @param name non-empty name, not {@code "__metadata__"}
   * @param shape dimensions, each {@code >= 0}; {@code []} for a scalar
   * @param values {@code product(shape)} values, row-major (copied)
   * @throws IllegalArgumentException if the name is empty or reserved, a dimension is negative, or
   *     {@code values.length != product(shape)}
   */
  public TensorData(String name, int[] shape, float[] values) {
    checkName(name);
    if (shape == null || values == null) {
      throw new IllegalArgumentException(
          "tensor " + Json.quote(name) + ": shape and values must not be null");
    }
    long n = elementCount(name, shape);
    if (n != values.length) {
      throw new IllegalArgumentException("tensor " + Json.quote(name) + ": shape "
          + Arrays.toString(shape) + " has " + n + " elements but " + values.length
          + " values were given");
    }
    this.name = name;
    this.dtype = Dtype.F32;
    this.shape = shape.clone();
    this.values = values.clone();
    this.file = null;
  }

  /** Reader-side constructor: takes ownership of {@code values} ({@code null} unless F32). */
  TensorData(TensorInfo info, float[] values, String file) {
    this.name = info.name();
    this.dtype = info.dtype();
    this.shape = info.shape();
    this.values = values;
    this.file = file;
  }

  static void checkName(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("tensor name must be non-empty");
    }
    if (name.equals(SafeTensors.METADATA_KEY)) {
      throw new IllegalArgumentException(
          "tensor name \"" + SafeTensors.METADATA_KEY + "\" is reserved for the metadata");
    }
  }

  /** {@code product(shape)} with {@link Math#multiplyExact}; IAE for negative or overflow. */
  static long elementCount(String name, int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor " + Json.quote(name) + ": shape "
            + Arrays.toString(shape) + " has a negative dimension");
      }
    }
    try {
      for (int d : shape) {
        n = Math.multiplyExact(n, d);
      }
    } catch (ArithmeticException overflow) {
      throw new IllegalArgumentException("tensor " + Json.quote(name) + ": the product of shape "
          + Arrays.toString(shape) + " overflows 64 bits", overflow);
    }
    return n;
  }

  /** The tensor's name. */
  public String name() {
    return name;
  }

  /** The element type ({@link Dtype#F32} for every tensor built by the public constructor). */
  public Dtype dtype() {
    return dtype;
  }

  /** A copy of the shape; {@code []} for a scalar. */
  public int[] shape() {
    return shape.clone();
  }

  /** Number of elements: the product of the shape. */
  public long elementCount() {
    long n = 1;
    for (int d : shape) {
      n *= d; // validated: fits in 64 bits
    }
    return n;
  }

  /**
   * A copy of the values, row-major.
   *
   * @throws UnsupportedOperationException if the dtype is not F32 (a foreign file's tensor):
   *     {@code "safetensors: unsupported dtype I64 for tensor "step" in m.safetensors (VSSF-J
   *     stores F32)"}
   */
  public float[] values() {
    if (values == null) {
      throw new UnsupportedOperationException("safetensors: unsupported dtype " + dtype
          + " for tensor " + Json.quote(name) + (file == null ? "" : " in " + file)
          + " (VSSF-J stores F32)");
    }
    return values.clone();
  }

  /** The values without a copy, for the writer ({@code null} unless F32). */
  float[] valuesUnsafe() {
    return values;
  }

  /** E.g. {@code w F32 [2, 3]}. */
  @Override
  public String toString() {
    return name + " " + dtype + " " + Arrays.toString(shape);
  }
}
