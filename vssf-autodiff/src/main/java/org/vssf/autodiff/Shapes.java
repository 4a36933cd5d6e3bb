package org.vssf.autodiff;

import java.util.Arrays;

/** Shape arithmetic: sizes, strides, axis normalisation and NumPy broadcasting, with named errors. */
public final class Shapes {
  private Shapes() {}

  /** Product of the dimensions ({@code 1} for a scalar). */
  public static int size(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
      if (n > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("shape " + str(shape) + " has more than 2^31-1 elements");
      }
    }
    return (int) n;
  }

  /** {@code [2, 3]}. */
  public static String str(int[] shape) {
    return Arrays.toString(shape).replace(" ", "");
  }

  /** A validated copy: no negative dimension. */
  static int[] checked(String op, int[] shape) {
    if (shape == null) {
      throw new NullPointerException(op + ": shape is null");
    }
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(op + ": negative dimension in shape " + str(shape));
      }
    }
    size(shape);
    return shape.clone();
  }

  /** Row-major strides. */
  static int[] strides(int[] shape) {
    int[] st = new int[shape.length];
    int s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      st[i] = s;
      s *= shape[i];
    }
    return st;
  }

  /** Normalises axis {@code a} (negative counts from the end) for a rank-{@code rank} tensor. */
  static int axis(String op, int a, int rank) {
    int r = a < 0 ? a + rank : a;
    if (r < 0 || r >= rank) {
      throw new IllegalArgumentException(op + ": axis " + a + " out of range for rank " + rank);
    }
    return r;
  }

  /** Flat offset of a multi-index, bounds-checked. */
  static int offset(String op, int[] shape, int[] index) {
    if (index.length != shape.length) {
      throw new IllegalArgumentException(op + ": index of rank " + index.length + " for shape " + str(shape));
    }
    int off = 0;
    for (int i = 0; i < shape.length; i++) {
      if (index[i] < 0 || index[i] >= shape[i]) {
        throw new IndexOutOfBoundsException(op + ": index " + Arrays.toString(index) + " outside " + str(shape));
      }
      off = off * shape[i] + index[i];
    }
    return off;
  }

  /** NumPy broadcast of two shapes, or an error naming the op and both shapes. */
  static int[] broadcast(String op, int[] a, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
      int db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
            + " do not broadcast (dimension " + i + ": " + da + " vs " + db + ")");
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /**
   * Strides for reading a tensor of shape {@code in} as if broadcast to {@code out}: 0 on
   * broadcast (size-1 or missing) dimensions.
   */
  static int[] broadcastStrides(int[] in, int[] out) {
    int[] st = new int[out.length];
    int[] inSt = strides(in);
    int lead = out.length - in.length;
    for (int i = 0; i < out.length; i++) {
      int j = i - lead;
      st[i] = j < 0 || in[j] == 1 ? 0 : inSt[j];
    }
    return st;
  }
}
