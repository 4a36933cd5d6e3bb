package org.vssf.bench.data;

/** The NumPy dtypes our {@code .npy} files use, with their {@code descr} strings. */
public enum NpyDtype {
  /** Little-endian IEEE float32, {@code '<f4'}. */
  FLOAT32("<f4", 4, "float32"),
  /** Unsigned byte, {@code '|u1'}. */
  UINT8("|u1", 1, "uint8");

  private final String descr;
  private final int itemSize;
  private final String numpyName;

  NpyDtype(String descr, int itemSize, String numpyName) {
    this.descr = descr;
    this.itemSize = itemSize;
    this.numpyName = numpyName;
  }

  /** The header's {@code descr}, e.g. {@code <f4}. */
  public String descr() {
    return descr;
  }

  /** Bytes per element. */
  public int itemSize() {
    return itemSize;
  }

  /** NumPy's name, e.g. {@code float32}. */
  public String numpyName() {
    return numpyName;
  }

  /** The dtype with this {@code descr}, or {@code null}. */
  static NpyDtype ofDescr(String descr) {
    for (NpyDtype d : values()) {
      if (d.descr.equals(descr)) {
        return d;
      }
    }
    return null;
  }
}
