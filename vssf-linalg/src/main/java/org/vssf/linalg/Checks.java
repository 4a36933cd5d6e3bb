package org.vssf.linalg;

/**
 * Argument validation shared by the kernel entry points: every message names the argument, so a
 * bad call reads like {@code "gemm: array 'c' too short: needs 1025 elements from offset 0, has 1024"}.
 */
public final class Checks {
  private Checks() {}

  /** Requires {@code value ≥ 0}. */
  public static void nonNegative(String op, String name, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(op + ": '" + name + "' must be >= 0, got " + value);
    }
  }

  /** Requires {@code value ≥ 1}. */
  public static void positive(String op, String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(op + ": '" + name + "' must be >= 1, got " + value);
    }
  }

  /** Requires a non-null array holding {@code count} contiguous elements from {@code off}. */
  public static void vector(String op, String name, float[] x, int off, int count) {
    matrix(op, name, x, off, count == 0 ? 0 : 1, count, count);
  }

  /**
   * Requires a non-null row-major {@code rows × cols} matrix at {@code off} with leading dimension
   * {@code ld ≥ cols} to fit in {@code x}.
   */
  public static void matrix(String op, String name, float[] x, int off, int rows, int cols, int ld) {
    if (x == null) {
      throw new NullPointerException(op + ": array '" + name + "' is null");
    }
    if (off < 0) {
      throw new IllegalArgumentException(op + ": offset of '" + name + "' must be >= 0, got " + off);
    }
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException(
          op + ": '" + name + "' has negative dimensions " + rows + "x" + cols);
    }
    if (rows > 0 && cols > 0 && ld < cols) {
      throw new IllegalArgumentException(
          op + ": leading dimension of '" + name + "' (" + ld + ") is smaller than its " + cols
              + " columns");
    }
    long needed = rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
    if (off + needed > x.length) {
      throw new IllegalArgumentException(
          op + ": array '" + name + "' too short: needs " + needed + " elements from offset " + off
              + ", has " + x.length);
    }
  }
}
