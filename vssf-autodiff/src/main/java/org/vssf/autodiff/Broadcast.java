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
  private static final int BLOCK = 3;
  private static final int GENERAL = 4;

  private final int kind;
  private final int inSize;
  private final int inner;
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
    } else if (blockInner(in, out) > 0) {
      kind = BLOCK;
    } else {
      kind = GENERAL;
    }
    inner = kind == BLOCK ? blockInner(in, out) : 1;
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

  /**
   * When the non-1 dimensions of {@code in} form one contiguous run that equals the same dimensions
   * of {@code out} (e.g. {@code [1,C,1,1]} in {@code [N,C,H,W]}, or {@code [B,1]} in {@code [B,n]}),
   * the input index is {@code (i / inner) % inSize} with {@code inner} the product of the output
   * dimensions after the run; returns that {@code inner}, or 0 when the shapes are not of this form.
   */
  private static int blockInner(int[] in, int[] out) {
    int lead = out.length - in.length;
    int first = -1;
    int last = -1;
    for (int d = 0; d < in.length; d++) {
      if (in[d] != 1) {
        if (first < 0) {
          first = d;
        }
        last = d;
      }
    }
    if (first < 0) {
      return 0;
    }
    for (int d = first; d <= last; d++) {
      if (in[d] != out[lead + d]) {
        return 0;
      }
    }
    int inner = 1;
    for (int d = lead + last + 1; d < out.length; d++) {
      inner *= out[d];
    }
    return inner;
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
      case BLOCK:
        return (i / inner) % inSize;
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
