package org.vssf.filter.oracle;

/**
 * Small dense double-precision matrix routines for the reference oracles: plain loops over
 * {@code double[rows][cols]}, new arrays for every result, no in-place tricks. Symmetric positive
 * definite systems are solved through a lower Cholesky factor {@code S = L Lᵀ}; nothing here forms
 * a general inverse.
 */
final class Dense {
  private Dense() {}

  static double[][] zeros(int rows, int cols) {
    return new double[rows][cols];
  }

  static double[][] identity(int n) {
    double[][] out = new double[n][n];
    for (int i = 0; i < n; i++) {
      out[i][i] = 1;
    }
    return out;
  }

  /** Deep copy; {@code null} rows (missing observations) stay {@code null}. */
  static double[][] copy(double[][] a) {
    double[][] out = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] == null ? null : a[i].clone();
    }
    return out;
  }

  static double[][][] copy(double[][][] a) {
    double[][][] out = new double[a.length][][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] == null ? null : copy(a[i]);
    }
    return out;
  }

  /** Columns of {@code a}; {@code cols} is needed because a matrix with zero rows has no row to ask. */
  static double[][] transpose(double[][] a, int cols) {
    double[][] out = new double[cols][a.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < cols; j++) {
        out[j][i] = a[i][j];
      }
    }
    return out;
  }

  static double[][] transpose(double[][] a) {
    return transpose(a, a.length == 0 ? 0 : a[0].length);
  }

  /** {@code a · b} with {@code a} n×k and {@code b} k×c (c given, so k = 0 works). */
  static double[][] mul(double[][] a, double[][] b, int cols) {
    int n = a.length;
    int k = b.length;
    double[][] out = new double[n][cols];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < cols; j++) {
        double s = 0;
        for (int q = 0; q < k; q++) {
          s += a[i][q] * b[q][j];
        }
        out[i][j] = s;
      }
    }
    return out;
  }

  static double[][] mul(double[][] a, double[][] b) {
    return mul(a, b, b.length == 0 ? 0 : b[0].length);
  }

  /** {@code a · v}. */
  static double[] mul(double[][] a, double[] v) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      double s = 0;
      for (int q = 0; q < v.length; q++) {
        s += a[i][q] * v[q];
      }
      out[i] = s;
    }
    return out;
  }

  static double[][] add(double[][] a, double[][] b) {
    double[][] out = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = add(a[i], b[i]);
    }
    return out;
  }

  static double[][] sub(double[][] a, double[][] b) {
    double[][] out = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = sub(a[i], b[i]);
    }
    return out;
  }

  static double[] add(double[] a, double[] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] + b[i];
    }
    return out;
  }

  static double[] sub(double[] a, double[] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] - b[i];
    }
    return out;
  }

  static double[][] scale(double s, double[][] a) {
    double[][] out = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = new double[a[i].length];
      for (int j = 0; j < a[i].length; j++) {
        out[i][j] = s * a[i][j];
      }
    }
    return out;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /** {@code ½(a + aᵀ)}. */
  static double[][] symmetrize(double[][] a) {
    int n = a.length;
    double[][] out = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        out[i][j] = 0.5 * (a[i][j] + a[j][i]);
      }
    }
    return out;
  }

  /**
   * Lower Cholesky factor {@code L} of a symmetric positive definite {@code s} (only its lower
   * triangle is read), {@code s = L Lᵀ}.
   *
   * @throws IllegalArgumentException if a pivot is not positive (not SPD to working precision)
   */
  static double[][] cholesky(double[][] s) {
    int n = s.length;
    double[][] l = new double[n][n];
    for (int j = 0; j < n; j++) {
      double d = s[j][j];
      for (int k = 0; k < j; k++) {
        d -= l[j][k] * l[j][k];
      }
      if (!(d > 0)) {
        throw new IllegalArgumentException("matrix is not positive definite (pivot " + j + " = " + d + ")");
      }
      double ljj = Math.sqrt(d);
      l[j][j] = ljj;
      for (int i = j + 1; i < n; i++) {
        double v = s[i][j];
        for (int k = 0; k < j; k++) {
          v -= l[i][k] * l[j][k];
        }
        l[i][j] = v / ljj;
      }
    }
    return l;
  }

  /** Solves {@code L y = b} (L lower triangular). */
  static double[] forward(double[][] l, double[] b) {
    int n = l.length;
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double v = b[i];
      for (int k = 0; k < i; k++) {
        v -= l[i][k] * y[k];
      }
      y[i] = v / l[i][i];
    }
    return y;
  }

  /** Solves {@code Lᵀ x = y} (L lower triangular). */
  static double[] backward(double[][] l, double[] y) {
    int n = l.length;
    double[] x = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double v = y[i];
      for (int k = i + 1; k < n; k++) {
        v -= l[k][i] * x[k];
      }
      x[i] = v / l[i][i];
    }
    return x;
  }

  /** Solves {@code S x = b} given {@code S = L Lᵀ}. */
  static double[] cholSolve(double[][] l, double[] b) {
    return backward(l, forward(l, b));
  }

  /** Solves {@code S X = B} column by column given {@code S = L Lᵀ}; B is n×c. */
  static double[][] cholSolve(double[][] l, double[][] b, int cols) {
    int n = l.length;
    double[][] x = new double[n][cols];
    double[] col = new double[n];
    for (int j = 0; j < cols; j++) {
      for (int i = 0; i < n; i++) {
        col[i] = b[i][j];
      }
      double[] sol = cholSolve(l, col);
      for (int i = 0; i < n; i++) {
        x[i][j] = sol[i];
      }
    }
    return x;
  }

  /** {@code log det S} from {@code S = L Lᵀ}. */
  static double logDet(double[][] l) {
    double s = 0;
    for (int i = 0; i < l.length; i++) {
      s += Math.log(l[i][i]);
    }
    return 2 * s;
  }

  /** {@code log N(x; mean, S)} with {@code S = L Lᵀ}. */
  static double logGaussian(double[] x, double[] mean, double[][] l) {
    double[] y = forward(l, sub(x, mean));
    return -0.5 * (x.length * Math.log(2 * Math.PI) + logDet(l) + dot(y, y));
  }

  /**
   * Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (ascending). Slow and exact
   * enough for the small matrices of test fixtures.
   */
  static double[] symmetricEigenvalues(double[][] s) {
    int n = s.length;
    double[][] a = symmetrize(s);
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      double all = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          all += a[i][j] * a[i][j];
          if (i != j) {
            off += a[i][j] * a[i][j];
          }
        }
      }
      if (off <= 1e-30 * all) {
        break;
      }
      for (int p = 0; p < n; p++) {
        for (int q = p + 1; q < n; q++) {
          if (a[p][q] == 0) {
            continue;
          }
          double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) {
            t = 1;
          }
          double c = 1 / Math.sqrt(t * t + 1);
          double sn = t * c;
          for (int k = 0; k < n; k++) { // columns p, q
            double akp = a[k][p];
            double akq = a[k][q];
            a[k][p] = c * akp - sn * akq;
            a[k][q] = sn * akp + c * akq;
          }
          for (int k = 0; k < n; k++) { // rows p, q
            double apk = a[p][k];
            double aqk = a[q][k];
            a[p][k] = c * apk - sn * aqk;
            a[q][k] = sn * apk + c * aqk;
          }
        }
      }
    }
    double[] ev = new double[n];
    for (int i = 0; i < n; i++) {
      ev[i] = a[i][i];
    }
    java.util.Arrays.sort(ev);
    return ev;
  }

  /** Spectral norm {@code ‖a‖₂} of a square matrix (square root of the top eigenvalue of aᵀa). */
  static double spectralNorm(double[][] a) {
    if (a.length == 0) {
      return 0;
    }
    double[] ev = symmetricEigenvalues(mul(transpose(a), a));
    return Math.sqrt(Math.max(0, ev[ev.length - 1]));
  }
}
