package org.vssf.autodiff;

/**
 * Index maps for NumPy broadcasting: for every element {@code i} of an output of shape {@code out},
 * the flat index of the element of an input of shape {@code in} it reads. Fast paths (same shape,
 * one element, trailing-suffix shapes) need no per-op allocation; the general case divides by the
 * output strides.
 */
final class Broadcast {
  private static final int SAME = 0;
  private static final int SCALAR = 1;
  private static final int SUFFIX = 2;
  private static final int GENERAL = 3;

  private final int kind;
  private final int inSize;
  private final int[] outShape;
  private final int[] outStrides;
  private final int[] inStrides;

  Broadcast(int[] in, int[] out) {
    this.inSize = Shapes.size(in);
    if (java.util.Arrays.equals(in, out)) {
      kind = SAME;
    } else if (inSize == 1) {
      kind = SCALAR;
    } else if (isSuffix(in, out)) {
      kind = SUFFIX;
    } else {
      kind = GENERAL;
    }
    if (kind == GENERAL) {
      outShape = out;
      outStrides = Shapes.strides(out);
      inStrides = Shapes.broadcastStrides(in, out);
    } else {
      outShape = null;
      outStrides = null;
      inStrides = null;
    }
  }

  /** True when {@code in} equals the trailing dimensions of {@code out} (leading ones ignored). */
  private static boolean isSuffix(int[] in, int[] out) {
    int lead = 0;
    while (lead < in.length && in[lead] == 1) {
      lead++;
    }
    int tail = in.length - lead;
    if (tail > out.length) {
      return false;
    }
    for (int i = 0; i < tail; i++) {
      if (in[lead + i] != out[out.length - tail + i]) {
        return false;
      }
    }
    return true;
  }

  /** Flat input index read by output element {@code i}. */
  int map(int i) {
    switch (kind) {
      case SAME:
        return i;
      case SCALAR:
        return 0;
      case SUFFIX:
        return i % inSize;
      default:
        int r = i;
        int idx = 0;
        for (int d = 0; d < outShape.length; d++) {
          int q = r / outStrides[d];
          r -= q * outStrides[d];
          idx += q * inStrides[d];
        }
        return idx;
    }
  }

  boolean identity() {
    return kind == SAME;
  }
}
