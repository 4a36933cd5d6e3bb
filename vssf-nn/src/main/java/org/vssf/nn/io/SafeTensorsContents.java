package org.vssf.nn.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link SafeTensors#read} returns: the tensors by name in header order and the {@code
 * __metadata__} string map. F32 tensors carry their values; tensors of other dtypes carry shape
 * and dtype only (see {@link TensorData#values()}). Immutable.
 */
public final class SafeTensorsContents {
  private final Map<String, TensorData> tensors;
  private final Map<String, String> metadata;

  SafeTensorsContents(LinkedHashMap<String, TensorData> tensors, Map<String, String> metadata) {
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = metadata;
  }

  /** Tensors by name, in the order the header lists them (unmodifiable). */
  public Map<String, TensorData> tensors() {
    return tensors;
  }

  /** The tensor called {@code name}, or {@code null}. */
  public TensorData get(String name) {
    return tensors.get(name);
  }

  /** The {@code __metadata__} entries in header order; empty if absent (unmodifiable). */
  public Map<String, String> metadata() {
    return metadata;
  }
}
