package org.vssf.nn.io;

import java.util.Arrays;

/**
 * One validated tensor entry of a safetensors header: name, {@link Dtype}, shape (row-major, empty
 * for a scalar) and its byte range {@code [dataBegin, dataEnd)} relative to the start of the data
 * buffer, where {@code dataEnd - dataBegin = product(shape) × dtype size}. Immutable.
 */
public final class TensorInfo {
  private final String name;
  private final Dtype dtype;
  private final int[] shape;
  private final long elementCount;
  private final long dataBegin;
  private final long dataEnd;

  TensorInfo(String name, Dtype dtype, int[] shape, long elementCount, long dataBegin,
      long dataEnd) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape.clone();
    this.elementCount = elementCount;
    this.dataBegin = dataBegin;
    this.dataEnd = dataEnd;
  }

  /** The tensor's name (the header key). */
  public String name() {
    return name;
  }

  /** The element type. */
  public Dtype dtype() {
    return dtype;
  }

  /** A copy of the shape; {@code []} for a scalar. */
  public int[] shape() {
    return shape.clone();
  }

  /** Number of elements: the product of the shape (1 for a scalar, 0 if any dimension is 0). */
  public long elementCount() {
    return elementCount;
  }

  /** First byte of the tensor's data, relative to the start of the data buffer. */
  public long dataBegin() {
    return dataBegin;
  }

  /** One past the last byte of the tensor's data, relative to the start of the data buffer. */
  public long dataEnd() {
    return dataEnd;
  }

  /** {@code dataEnd - dataBegin}: {@code elementCount × dtype.byteSize()}. */
  public long byteLength() {
    return dataEnd - dataBegin;
  }

  /** E.g. {@code w F32 [2, 3] @[0, 24)}. */
  @Override
  public String toString() {
    return name + " " + dtype + " " + Arrays.toString(shape) + " @[" + dataBegin + ", " + dataEnd
        + ")";
  }
}
