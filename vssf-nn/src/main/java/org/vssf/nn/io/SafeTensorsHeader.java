package org.vssf.nn.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The validated header of a safetensors file, without the tensor data: the tensors in header
 * order, the {@code __metadata__} string map, the header length {@code N} (the file is {@code 8 +
 * N + dataLength} bytes) and the data buffer length. Everything in it has passed the checks of
 * {@link SafeTensors#readHeader}: the offsets tile {@code [0, dataLength)} exactly. Immutable.
 */
public final class SafeTensorsHeader {
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;
  private final long headerLength;
  private final long dataLength;

  SafeTensorsHeader(LinkedHashMap<String, TensorInfo> tensors, LinkedHashMap<String, String> metadata,
      long headerLength, long dataLength) {
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = Collections.unmodifiableMap(metadata);
    this.headerLength = headerLength;
    this.dataLength = dataLength;
  }

  /** Tensor entries by name, in the order the header lists them (unmodifiable). */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** The {@code __metadata__} entries in header order; empty if absent (unmodifiable). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** {@code N}: the header's length in bytes, as declared by the file's first 8 bytes. */
  public long headerLength() {
    return headerLength;
  }

  /** Length of the data buffer in bytes: the file size minus {@code 8 + N}. */
  public long dataLength() {
    return dataLength;
  }
}
