package org.vssf.filter;

/**
 * The discrete Lyapunov equation {@code Σ = F Σ Fᵀ + Q}: the stationary covariance of {@code
 * z' = F z + w}, {@code w ~ N(0, Q)}, used for the prior of the first state. Solved in double by
 * the doubling iteration {@code Σ ← Σ + F_k Σ F_kᵀ, F_k ← F_k²} (quadratic convergence when the
 * spectral radius of F is below 1).
 */
public final class Lyapunov {
  private Lyapunov() {}

  /**
   * Σ for row-major {@code m × m} F and Q (Q symmetric PSD).
   *
   * @throws IllegalArgumentException if the sizes differ or F is not stable (no convergence)
   */
  public static double[] solve(int m, double[] f, double[] q) {
    if (m < 1 || f.length != m * m || q.length != m * m) {
      throw new IllegalArgumentException("Lyapunov.solve: F and Q must be " + m + "x" + m + " (got "
          + f.length + " and " + q.length + " values)");
    }
    double[] x = q.clone();
    double[] fk = f.clone();
    double[] tmp = new double[m * m];
    double[] tmp2 = new double[m * m];
    for (int iter = 0; iter < 100; iter++) {
      // x += fk·x·fkᵀ
      mul(m, fk, x, tmp, false);
      mul(m, tmp, fk, tmp2, true);
      double change = 0;
      double size = 0;
      for (int i = 0; i < m * m; i++) {
        x[i] += tmp2[i];
        change = Math.max(change, Math.abs(tmp2[i]));
        size = Math.max(size, Math.abs(x[i]));
      }
      if (!Double.isFinite(size)) {
        break;
      }
      if (change <= 1e-15 * size) {
        for (int i = 0; i < m; i++) { // symmetrise rounding
          for (int j = 0; j < i; j++) {
            double s = 0.5 * (x[i * m + j] + x[j * m + i]);
            x[i * m + j] = s;
            x[j * m + i] = s;
          }
        }
        return x;
      }
      mul(m, fk, fk, tmp, false);
      System.arraycopy(tmp, 0, fk, 0, m * m);
    }
    throw new IllegalArgumentException("Lyapunov.solve: no stationary covariance; the closed-loop"
        + " dynamics F must have spectral radius < 1");
  }

  /** c = a·b, or a·bᵀ when {@code transB}. */
  private static void mul(int m, double[] a, double[] b, double[] c, boolean transB) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k < m; k++) {
          s += a[i * m + k] * (transB ? b[j * m + k] : b[k * m + j]);
        }
        c[i * m + j] = s;
      }
    }
  }
}
