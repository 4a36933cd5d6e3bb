package org.vssf.nn.io;

/**
 * The safetensors element types with a whole number of bytes per element, each with its size in
 * bytes and its header spelling ({@link #name()}, e.g. {@code "F32"}). VSSF-J computes in and
 * writes only {@link #F32}; the others are recognised so that foreign files can be validated and
 * their headers inspected. Sub-byte types ({@code F4}, {@code F6_*}) are not recognised.
 */
public enum Dtype {
  /** Boolean, one byte. */
  BOOL(1),
  /** Unsigned 8-bit integer. */
  U8(1),
  /** Signed 8-bit integer. */
  I8(1),
  /** 8-bit float, 5 exponent and 2 mantissa bits. */
  F8_E5M2(1),
  /** 8-bit float, 4 exponent and 3 mantissa bits. */
  F8_E4M3(1),
  /** 8-bit scale (exponent only). */
  F8_E8M0(1),
  /** Signed 16-bit integer. */
  I16(2),
  /** Unsigned 16-bit integer. */
  U16(2),
  /** IEEE 754 binary16. */
  F16(2),
  /** bfloat16 (the upper half of a binary32). */
  BF16(2),
  /** Signed 32-bit integer. */
  I32(4),
  /** Unsigned 32-bit integer. */
  U32(4),
  /** IEEE 754 binary32, little-endian: the dtype VSSF-J reads and writes. */
  F32(4),
  /** IEEE 754 binary64. */
  F64(8),
  /** Complex number of two binary32 (real, imaginary). */
  C64(8),
  /** Signed 64-bit integer. */
  I64(8),
  /** Unsigned 64-bit integer. */
  U64(8);

  private final int bytes;

  Dtype(int bytes) {
    this.bytes = bytes;
  }

  /** Size of one element in bytes. */
  public int byteSize() {
    return bytes;
  }

  /** The dtype spelled {@code name} in a header, or {@code null} if there is none. */
  public static Dtype fromHeaderName(String name) {
    for (Dtype d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    return null;
  }
}
