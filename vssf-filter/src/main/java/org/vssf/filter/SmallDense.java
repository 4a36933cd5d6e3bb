package org.vssf.filter;

import org.vssf.linalg.NotPositiveDefiniteException;

/**
 * Small dense SPD algebra in double on row-major m×m arrays, allocation-free, for the
 * non-differentiable paths (online filter, RTS smoother, fused posterior, the application's
 * least-squares fits): Cholesky {@code S = L Lᵀ} and solves with {@code L Lᵀ}.
 */
public final class SmallDense {
  private SmallDense() {}

  /**
   * Lower factor of {@code s} into {@code l} (upper triangle zeroed); a pivot that is not
   * positive and finite throws {@link NotPositiveDefiniteException} naming {@code name} and
   * {@code batch}.
   */
  public static void cholesky(String name, int batch, double[] s, double[] l, int m) {
    for (int j = 0; j < m; j++) {
      double d = s[j * m + j];
      for (int k = 0; k < j; k++) {
        d -= l[j * m + k] * l[j * m + k];
      }
      if (!(d > 0) || Double.isInfinite(d)) {
        throw new NotPositiveDefiniteException(name, batch, j, d);
      }
      double ljj = Math.sqrt(d);
      l[j * m + j] = ljj;
      for (int i = j + 1; i < m; i++) {
        double t = s[i * m + j];
        for (int k = 0; k < j; k++) {
          t -= l[i * m + k] * l[j * m + k];
        }
        l[i * m + j] = t / ljj;
      }
      for (int i = 0; i < j; i++) {
        l[i * m + j] = 0;
      }
    }
  }

  /** {@code v ← (L Lᵀ)⁻¹ v}. */
  public static void solve(double[] l, double[] v, int m) {
    for (int i = 0; i < m; i++) {
      double s = v[i];
      for (int k = 0; k < i; k++) {
        s -= l[i * m + k] * v[k];
      }
      v[i] = s / l[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {
      double s = v[i];
      for (int k = i + 1; k < m; k++) {
        s -= l[k * m + i] * v[k];
      }
      v[i] = s / l[i * m + i];
    }
  }

  /** Column {@code col} of the row-major m×m {@code x} ← {@code (L Lᵀ)⁻¹ x[:, col]}. */
  public static void solveColumn(double[] l, double[] x, int col, int m) {
    for (int i = 0; i < m; i++) {
      double s = x[i * m + col];
      for (int k = 0; k < i; k++) {
        s -= l[i * m + k] * x[k * m + col];
      }
      x[i * m + col] = s / l[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {
      double s = x[i * m + col];
      for (int k = i + 1; k < m; k++) {
        s -= l[k * m + i] * x[k * m + col];
      }
      x[i * m + col] = s / l[i * m + i];
    }
  }
}
