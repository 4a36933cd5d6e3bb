package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.vssf.testing.MiniJson;
import org.vssf.testing.SeededTest;
import org.vssf.testing.Tolerances;

/**
 * {@link SpdBatch} against double-precision references written here with plain loops (Cholesky by
 * columns, Gaussian elimination with partial pivoting for every solve), against PyTorch float64
 * reference values, and for its failure, aliasing, threading and argument contracts.
 *
 * <p><b>Tolerances.</b> The kernels load float32 input, compute in double and round once on store.
 * The test references compute in double from the same float32 values but in a different order, so
 * the two differ by double rounding only, about {@code m·κ·2⁻⁵³} relative to the matrix scale
 * ({@code < 1e-13} for m ≤ 16 and the condition numbers κ < ~20 generated here). A kernel result
 * must therefore be the reference rounded to float: {@code |x − x_ref| ≤ ε·|x_ref| + 1e-9·max|x_ref|}
 * with ε = 2⁻²³ (two half-ulps), the absolute term covering near-zero entries with 10⁴× margin over
 * the double error. Products of rounded outputs (L·Lᵀ, A·X, A⁻¹·A) carry ≤ ½ε relative error per
 * factor, hence bounds of the form {@code c·ε·(|P|·|Q|)_ij}.
 */
class SpdBatchTest extends SeededTest {
  private static final double EPS = Tolerances.FLOAT_EPS;
  private static final int[] BATCHES = {0, 1, 7, 640};
  private static final int MAX_M = 16;

  // ------------------------------------------------------------------------ generators

  /**
   * {@code batch} SPD matrices {@code A = G·Gᵀ/m + ½I} (G standard normal) from offset {@code off}:
   * eigenvalues in about [0.5, 4.5], so κ(A) ≲ 10 (m = 1: A = g² + ½). Stored exactly symmetric.
   */
  private float[] randomSpd(int batch, int m, int off) {
    float[] a = new float[off + batch * m * m + 2];
    Arrays.fill(a, Float.NaN);
    for (int b = 0; b < batch; b++) {
      double[] g = new double[m * m];
      for (int i = 0; i < g.length; i++) {
        g[i] = gaussian();
      }
      int base = off + b * m * m;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j <= i; j++) {
          double s = i == j ? 0.5 : 0.0;
          for (int k = 0; k < m; k++) {
            s += g[i * m + k] * g[j * m + k] / m;
          }
          a[base + i * m + j] = (float) s;
          a[base + j * m + i] = (float) s;
        }
      }
    }
    return a;
  }

  /** {@code n} NaNs, so writes outside an output's range (and reads of unset values) show up. */
  private static float[] nans(int n) {
    float[] x = new float[n];
    Arrays.fill(x, Float.NaN);
    return x;
  }

  private static double[] get(float[] x, int off, int n) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = x[off + i];
    }
    return d;
  }

  // ------------------------------------------------------------------------ references

  /** Lower Cholesky factor by columns (Cholesky–Crout), reading the lower triangle of {@code a}. */
  private static double[] refCholesky(double[] a, int m) {
    double[] l = new double[m * m];
    for (int j = 0; j < m; j++) {
      double d = a[j * m + j];
      for (int k = 0; k < j; k++) {
        d -= l[j * m + k] * l[j * m + k];
      }
      assertTrue(d > 0, "reference matrix not SPD");
      l[j * m + j] = Math.sqrt(d);
      for (int i = j + 1; i < m; i++) {
        double s = a[i * m + j];
        for (int k = 0; k < j; k++) {
          s -= l[i * m + k] * l[j * m + k];
        }
        l[i * m + j] = s / l[j * m + j];
      }
    }
    return l;
  }

  /** {@code X = M⁻¹·B} by Gaussian elimination with partial pivoting ({@code B} is m × nrhs). */
  private static double[] refSolve(double[] m0, int m, double[] b0, int nrhs) {
    double[] a = m0.clone();
    double[] b = b0.clone();
    for (int c = 0; c < m; c++) {
      int p = c;
      for (int r = c + 1; r < m; r++) {
        if (Math.abs(a[r * m + c]) > Math.abs(a[p * m + c])) {
          p = r;
        }
      }
      swapRows(a, m, c, p);
      swapRows(b, nrhs, c, p);
      for (int r = c + 1; r < m; r++) {
        double f = a[r * m + c] / a[c * m + c];
        for (int k = c; k < m; k++) {
          a[r * m + k] -= f * a[c * m + k];
        }
        for (int k = 0; k < nrhs; k++) {
          b[r * nrhs + k] -= f * b[c * nrhs + k];
        }
      }
    }
    for (int r = m - 1; r >= 0; r--) {
      for (int k = 0; k < nrhs; k++) {
        double s = b[r * nrhs + k];
        for (int c = r + 1; c < m; c++) {
          s -= a[r * m + c] * b[c * nrhs + k];
        }
        b[r * nrhs + k] = s / a[r * m + r];
      }
    }
    return b;
  }

  private static void swapRows(double[] x, int cols, int r1, int r2) {
    for (int k = 0; k < cols; k++) {
      double t = x[r1 * cols + k];
      x[r1 * cols + k] = x[r2 * cols + k];
      x[r2 * cols + k] = t;
    }
  }

  /** The full symmetric matrix defined by the lower triangle of {@code a}. */
  private static double[] symmetricFromLower(double[] a, int m) {
    double[] s = new double[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j <= i; j++) {
        s[i * m + j] = a[i * m + j];
        s[j * m + i] = a[i * m + j];
      }
    }
    return s;
  }

  /** {@code P·Q} (or {@code |P|·|Q|} with {@code abs}) for P r×k, Q k×c. */
  private static double[] mult(double[] p, double[] q, int r, int k, int c, boolean abs) {
    double[] out = new double[r * c];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        double s = 0;
        for (int t = 0; t < k; t++) {
          double v = p[i * k + t] * q[t * c + j];
          s += abs ? Math.abs(v) : v;
        }
        out[i * c + j] = s;
      }
    }
    return out;
  }

  private static double[] transpose(double[] x, int r, int c) {
    double[] t = new double[r * c];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        t[j * r + i] = x[i * c + j];
      }
    }
    return t;
  }

  private static double maxAbs(double[] x) {
    double mx = 0;
    for (double v : x) {
      mx = Math.max(mx, Math.abs(v));
    }
    return mx;
  }

  /** {@code |act_i − ref_i| ≤ rel·|ref_i| + abs} for the {@code ref.length} values from {@code off}. */
  private static void assertNear(String what, double[] ref, float[] act, int off, double rel, double abs) {
    for (int i = 0; i < ref.length; i++) {
      double err = Math.abs(act[off + i] - ref[i]);
      if (!(err <= rel * Math.abs(ref[i]) + abs)) {
        fail(what + ": element " + i + " expected " + ref[i] + " but was " + act[off + i]
            + " (error " + err + " > " + (rel * Math.abs(ref[i]) + abs) + ")");
      }
    }
  }

  /** {@code |r_i| ≤ tol·scale_i + 1e-12}: a residual against its natural magnitude. */
  private static void assertResidual(String what, double[] r, double[] scale, double tol) {
    for (int i = 0; i < r.length; i++) {
      if (!(Math.abs(r[i]) <= tol * scale[i] + 1e-12)) {
        fail(what + ": residual element " + i + " = " + r[i] + " > " + tol * scale[i]);
      }
    }
  }

  /** Everything before {@code off} and from {@code off + n} on is still NaN (nothing written there). */
  private static void assertUntouchedOutside(String what, float[] x, int off, int n) {
    for (int i = 0; i < x.length; i++) {
      if ((i < off || i >= off + n) && !Float.isNaN(x[i])) {
        fail(what + ": wrote outside the output at index " + i);
      }
    }
  }

  // ------------------------------------------------------------------ correctness vs reference

  @Test
  void choleskyMatchesReferenceForAllSizes() {
    for (int m = 1; m <= MAX_M; m++) {
      for (int batch : BATCHES) {
        int mm = m * m;
        int aOff = rng.nextInt(4);
        int lOff = rng.nextInt(4);
        float[] a = randomSpd(batch, m, aOff);
        // Only the lower triangle may be read: put garbage in the strict upper one.
        for (int b = 0; b < batch; b++) {
          for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
              a[aOff + b * mm + i * m + j] = (float) (1e6 * gaussian());
            }
          }
        }
        float[] l = nans(lOff + batch * mm + 3);
        SpdBatch.cholesky("a", batch, m, a, aOff, l, lOff, 1);
        String what = "cholesky m=" + m + " batch=" + batch + seedInfo();
        assertUntouchedOutside(what, l, lOff, batch * mm);
        for (int b = 0; b < batch; b++) {
          double[] av = get(a, aOff + b * mm, mm);
          double[] ref = refCholesky(av, m);
          int base = lOff + b * mm;
          for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
              assertEquals(0f, l[base + i * m + j], what + ": upper triangle not zero");
            }
          }
          assertNear(what + " b=" + b, ref, l, base, EPS, 1e-9 * maxAbs(ref));
          // L·Lᵀ ≈ A: each float entry of L is within ½ε of the exact factor, so the product errs
          // by ≤ ε·(|L|·|Lᵀ|)_ij (2ε for safety).
          double[] lf = get(l, base, mm);
          double[] lt = transpose(lf, m, m);
          double[] llt = mult(lf, lt, m, m, m, false);
          double[] scale = mult(lf, lt, m, m, m, true);
          double[] sym = symmetricFromLower(av, m);
          double[] r = new double[mm];
          for (int i = 0; i < mm; i++) {
            r[i] = llt[i] - sym[i];
          }
          assertResidual(what + " L·Lᵀ−A b=" + b, r, scale, 2 * EPS);
        }
      }
    }
  }

  @Test
  void factorSpdSymmetrisesAndAddsJitter() {
    float jitter = 0.25f;
    for (int m = 1; m <= MAX_M; m++) {
      for (int batch : BATCHES) {
        int mm = m * m;
        float[] a = randomSpd(batch, m, 0);
        // Make A non-symmetric: A + N with Nᵀ = −N leaves ½(A + Aᵀ) = A (up to float rounding).
        for (int b = 0; b < batch; b++) {
          for (int i = 0; i < m; i++) {
            for (int j = 0; j < i; j++) {
              float n = (float) (0.3 * gaussian());
              a[b * mm + i * m + j] += n;
              a[b * mm + j * m + i] -= n;
            }
          }
        }
        float[] l = nans(batch * mm);
        SpdBatch.factorSpd("s", batch, m, a, 0, jitter, l, 0, 2);
        String what = "factorSpd m=" + m + " batch=" + batch + seedInfo();
        for (int b = 0; b < batch; b++) {
          double[] s = new double[mm];
          for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
              s[i * m + j] = 0.5 * ((double) a[b * mm + i * m + j] + a[b * mm + j * m + i])
                  + (i == j ? jitter : 0.0);
            }
          }
          double[] ref = refCholesky(s, m);
          assertNear(what + " b=" + b, ref, l, b * mm, EPS, 1e-9 * maxAbs(ref));
        }
      }
    }
  }

  @Test
  void triangularSolvesAllVariants() {
    for (int m = 1; m <= MAX_M; m++) {
      for (int batch : BATCHES) {
        for (int nrhs : new int[] {1, 3}) {
          for (int variant = 0; variant < 4; variant++) {
            boolean lower = (variant & 1) == 0;
            boolean transpose = (variant & 2) != 0;
            checkTriangular(batch, m, nrhs, lower, transpose);
          }
        }
      }
    }
  }

  private void checkTriangular(int batch, int m, int nrhs, boolean lower, boolean transpose) {
    int mm = m * m;
    int mn = m * nrhs;
    int tOff = rng.nextInt(3);
    int bOff = rng.nextInt(3);
    int xOff = rng.nextInt(3);
    // T: the Cholesky factor of a random SPD matrix (κ(T) = √κ(A) ≲ 4), stored as L or Lᵀ, rows
    // with random signs (a negative diagonal is legitimate), NaN in the triangle that is not read.
    float[] t = nans(tOff + batch * mm);
    float[] a = randomSpd(batch, m, 0);
    for (int b = 0; b < batch; b++) {
      double[] l = refCholesky(get(a, b * mm, mm), m);
      for (int i = 0; i < m; i++) {
        double sign = rng.nextBoolean() ? 1 : -1;
        for (int j = 0; j <= i; j++) {
          int at = lower ? i * m + j : j * m + i;
          t[tOff + b * mm + at] = (float) (sign * l[i * m + j]);
        }
      }
    }
    float[] rhs = randomFloats(bOff + batch * mn);
    float[] r0 = rhs.clone();
    float[] x = nans(xOff + batch * mn + 2);
    SpdBatch.solveTriangular(batch, m, nrhs, lower, transpose, t, tOff, rhs, bOff, x, xOff, 2);
    String what = "solveTriangular(" + (lower ? "lower" : "upper") + (transpose ? ", T" : "")
        + ") m=" + m + " nrhs=" + nrhs + " batch=" + batch + seedInfo();
    assertArrayEquals(r0, rhs, what + ": b was modified");
    assertUntouchedOutside(what, x, xOff, batch * mn);
    for (int b = 0; b < batch; b++) {
      double[] op = new double[mm];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          int r = transpose ? j : i;
          int c = transpose ? i : j;
          boolean stored = lower ? c <= r : c >= r;
          op[i * m + j] = stored ? t[tOff + b * mm + r * m + c] : 0.0;
        }
      }
      double[] ref = refSolve(op, m, get(rhs, bOff + b * mn, mn), nrhs);
      assertNear(what + " b=" + b, ref, x, xOff + b * mn, EPS, 1e-9 * maxAbs(ref));
    }
  }

  @Test
  void logDetMatchesReference() {
    for (int m = 1; m <= MAX_M; m++) {
      for (int batch : BATCHES) {
        int mm = m * m;
        float[] a = randomSpd(batch, m, 0);
        float[] l = new float[batch * mm];
        SpdBatch.cholesky("a", batch, m, a, 0, l, 0, 1);
        int outOff = rng.nextInt(3);
        float[] out = nans(outOff + batch + 1);
        SpdBatch.logDetFromCholesky(batch, m, l, 0, out, outOff, 3);
        String what = "logDetFromCholesky m=" + m + " batch=" + batch + seedInfo();
        assertUntouchedOutside(what, out, outOff, batch);
        for (int b = 0; b < batch; b++) {
          double[] ref = refCholesky(get(a, b * mm, mm), m);
          double ld = 0;
          for (int i = 0; i < m; i++) {
            ld += 2 * Math.log(ref[i * m + i]);
          }
          // Each float l_ii is within ½ε relative of the exact one (≤ ε in 2·log l_ii), plus the
          // final rounding of the sum: |err| ≤ m·ε + ε·|ld|.
          assertNear(what + " b=" + b, new double[] {ld}, out, outOff + b, EPS, m * EPS);
        }
      }
    }
  }

  @Test
  void spdSolveMatchesReferenceAndResidualIsSmall() {
    for (int m = 1; m <= MAX_M; m++) {
      for (int batch : BATCHES) {
        for (int nrhs : new int[] {1, 3}) {
          int mm = m * m;
          int mn = m * nrhs;
          float[] a = randomSpd(batch, m, 0);
          float[] rhs = randomFloats(batch * mn);
          float[] x = nans(batch * mn);
          SpdBatch.spdSolve("cov", batch, m, nrhs, a, 0, rhs, 0, x, 0, 1);
          String what = "spdSolve m=" + m + " nrhs=" + nrhs + " batch=" + batch + seedInfo();
          for (int b = 0; b < batch; b++) {
            double[] av = symmetricFromLower(get(a, b * mm, mm), m);
            double[] bv = get(rhs, b * mn, mn);
            double[] ref = refSolve(av, m, bv, nrhs);
            assertNear(what + " b=" + b, ref, x, b * mn, EPS, 1e-9 * maxAbs(ref));
            // A·x − b for the float x: x is within ½ε relative of the exact solution per entry.
            double[] xv = get(x, b * mn, mn);
            double[] ax = mult(av, xv, m, m, nrhs, false);
            double[] scale = mult(av, xv, m, m, nrhs, true);
            for (int i = 0; i < mn; i++) {
              ax[i] -= bv[i];
            }
            assertResidual(what + " A·x−b b=" + b, ax, scale, EPS);
          }
        }
      }
    }
  }

  @Test
  void choleskySolveMatchesReference() {
    for (int m = 1; m <= MAX_M; m++) {
      for (int batch : BATCHES) {
        int nrhs = 1 + rng.nextInt(3);
        int mm = m * m;
        int mn = m * nrhs;
        float[] a = randomSpd(batch, m, 0);
        float[] l = new float[batch * mm];
        SpdBatch.cholesky("a", batch, m, a, 0, l, 0, 1);
        float[] rhs = randomFloats(batch * mn);
        float[] x = nans(batch * mn);
        SpdBatch.choleskySolve(batch, m, nrhs, l, 0, rhs, 0, x, 0, 3);
        String what = "choleskySolve m=" + m + " nrhs=" + nrhs + " batch=" + batch + seedInfo();
        for (int b = 0; b < batch; b++) {
          double[] lv = get(l, b * mm, mm);
          double[] llt = mult(lv, transpose(lv, m, m), m, m, m, false);
          double[] ref = refSolve(llt, m, get(rhs, b * mn, mn), nrhs);
          assertNear(what + " b=" + b, ref, x, b * mn, EPS, 1e-9 * maxAbs(ref));
        }
      }
    }
  }

  @Test
  void spdInverseIsSymmetricAndInvertsA() {
    for (int m = 1; m <= MAX_M; m++) {
      for (int batch : BATCHES) {
        int mm = m * m;
        float[] a = randomSpd(batch, m, 0);
        float[] inv = nans(batch * mm);
        SpdBatch.spdInverse("precision", batch, m, a, 0, inv, 0, 2);
        String what = "spdInverse m=" + m + " batch=" + batch + seedInfo();
        double[] eye = new double[mm];
        for (int i = 0; i < m; i++) {
          eye[i * m + i] = 1;
        }
        for (int b = 0; b < batch; b++) {
          double[] av = symmetricFromLower(get(a, b * mm, mm), m);
          double[] ref = refSolve(av, m, eye, m);
          assertNear(what + " b=" + b, ref, inv, b * mm, EPS, 1e-9 * maxAbs(ref));
          double[] iv = get(inv, b * mm, mm);
          for (int i = 0; i < m; i++) {
            for (int j = 0; j < i; j++) {
              assertEquals(iv[i * m + j], iv[j * m + i], what + ": not symmetric");
            }
          }
          // A⁻¹·A − I with the float A⁻¹: ≤ ½ε·(|A⁻¹|·|A|)_ij.
          double[] r = mult(iv, av, m, m, m, false);
          double[] scale = mult(iv, av, m, m, m, true);
          for (int i = 0; i < mm; i++) {
            r[i] -= eye[i];
          }
          assertResidual(what + " A⁻¹·A−I b=" + b, r, scale, EPS);
        }
      }
    }
  }

  // ------------------------------------------------------------------ PyTorch reference

  /** PyTorch float64 forward values; inputs are rounded to float32 here, hence ~1e-5. */
  @Test
  void reproducesTorchReference() {
    Object root = MiniJson.resource(SpdBatchTest.class, "/reference/torch-spd-reference.json");
    final double tol = 1e-5;
    final int batch = 3;
    final int m = 4;

    float[] a = floats(MiniJson.doubles(MiniJson.at(root, "cases", "cholesky_batched", "inputs", "a", "data")));
    double[] lRef = MiniJson.doubles(MiniJson.at(root, "cases", "cholesky_batched", "output", "data"));
    float[] l = new float[a.length];
    SpdBatch.cholesky("a", batch, m, a, 0, l, 0);
    assertNear("torch cholesky_batched", lRef, l, 0, tol, tol);

    for (String name : new String[] {"triangular_solve_lower", "triangular_solve_lower_transposed"}) {
      float[] t = floats(MiniJson.doubles(MiniJson.at(root, "cases", name, "inputs", "L", "data")));
      float[] b = floats(MiniJson.doubles(MiniJson.at(root, "cases", name, "inputs", "b", "data")));
      double[] xRef = MiniJson.doubles(MiniJson.at(root, "cases", name, "output", "data"));
      float[] x = new float[b.length];
      SpdBatch.solveTriangular(batch, m, 2, true, name.endsWith("transposed"), t, 0, b, 0, x, 0);
      assertNear("torch " + name, xRef, x, 0, tol, tol);
    }

    float[] lIn = floats(MiniJson.doubles(MiniJson.at(root, "cases", "logdet_from_cholesky", "inputs", "L", "data")));
    double[] ldRef = MiniJson.doubles(MiniJson.at(root, "cases", "logdet_from_cholesky", "output", "data"));
    float[] ld = new float[batch];
    SpdBatch.logDetFromCholesky(batch, m, lIn, 0, ld, 0);
    assertNear("torch logdet_from_cholesky", ldRef, ld, 0, tol, tol);
  }

  private static float[] floats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  // ------------------------------------------------------------------ failures

  /** One of the factorising entry points, applied to a batch of m×m matrices. */
  @FunctionalInterface
  private interface Factorising {
    void run(String name, int batch, int m, float[] a, int parallelism);
  }

  private static final String[] FACTORISING_NAMES = {"cholesky", "factorSpd", "spdSolve", "spdInverse"};

  private static Factorising factorising(String op) {
    switch (op) {
      case "cholesky":
        return (name, batch, m, a, p) ->
            SpdBatch.cholesky(name, batch, m, a, 0, new float[a.length], 0, p);
      case "factorSpd":
        return (name, batch, m, a, p) ->
            SpdBatch.factorSpd(name, batch, m, a, 0, 0f, new float[a.length], 0, p);
      case "spdSolve":
        return (name, batch, m, a, p) -> SpdBatch.spdSolve(name, batch, m, 2, a, 0,
            new float[batch * m * 2], 0, new float[batch * m * 2], 0, p);
      case "spdInverse":
        return (name, batch, m, a, p) ->
            SpdBatch.spdInverse(name, batch, m, a, 0, new float[a.length], 0, p);
      default:
        throw new AssertionError(op);
    }
  }

  /** Sets entry (i, j) and, for entry points that symmetrise, its mirror (j, i). */
  private static void setSym(float[] a, int base, int m, int i, int j, float v) {
    a[base + i * m + j] = v;
    a[base + j * m + i] = v;
  }

  private NotPositiveDefiniteException expectNpd(String op, String name, float[] a, int batch, int m,
      int parallelism, int batchIndex, int pivot) {
    NotPositiveDefiniteException e = assertThrows(NotPositiveDefiniteException.class,
        () -> factorising(op).run(name, batch, m, a, parallelism), op + seedInfo());
    assertEquals(name, e.matrixName(), op);
    assertEquals(batchIndex, e.batchIndex(), op + ": batch index");
    assertEquals(pivot, e.pivot(), op + ": pivot");
    assertTrue(e.getMessage().contains("'" + name + "'") && e.getMessage().contains("batch index "
        + batchIndex), op + ": message " + e.getMessage());
    return e;
  }

  @Test
  void nonFiniteEntriesInTheLowerTriangleThrow() {
    int m = 4;
    for (String op : FACTORISING_NAMES) {
      // NaN below the diagonal at (2, 1): row 2 is the first to see it, at its pivot.
      float[] a = randomSpd(9, m, 0);
      setSym(a, 5 * m * m, m, 2, 1, Float.NaN);
      assertTrue(Double.isNaN(expectNpd(op, "processCov", a, 9, m, 1, 5, 2).value()), op);
      // NaN on the diagonal at (3, 3).
      a = randomSpd(9, m, 0);
      setSym(a, 5 * m * m, m, 3, 3, Float.NaN);
      assertTrue(Double.isNaN(expectNpd(op, "processCov", a, 9, m, 1, 5, 3).value()), op);
      // +Inf below the diagonal at (1, 0): l_10 = Inf, pivot 1 = a_11 − Inf² = −Inf.
      a = randomSpd(9, m, 0);
      setSym(a, 5 * m * m, m, 1, 0, Float.POSITIVE_INFINITY);
      double v = expectNpd(op, "processCov", a, 9, m, 1, 5, 1).value();
      assertTrue(Double.isNaN(v) || Double.isInfinite(v), op + ": value " + v);
      // +Inf on the diagonal: the pivot is infinite, which is not accepted either.
      a = randomSpd(9, m, 0);
      setSym(a, 5 * m * m, m, 0, 0, Float.POSITIVE_INFINITY);
      assertTrue(Double.isInfinite(expectNpd(op, "processCov", a, 9, m, 1, 5, 0).value()), op);
    }
  }

  @Test
  void negativeDefiniteAndSingularMatricesThrow() {
    int m = 3;
    for (String op : FACTORISING_NAMES) {
      float[] a = randomSpd(9, m, 0);
      for (int i = 0; i < m * m; i++) {
        a[5 * m * m + i] = -a[5 * m * m + i];
      }
      NotPositiveDefiniteException e = expectNpd(op, "obsCov", a, 9, m, 1, 5, 0);
      assertTrue(e.value() < 0, op + ": value " + e.value());
      // Rank one, exactly: v·vᵀ with v = (1, 2, 3); pivot 1 is 4 − 2² = 0.
      a = randomSpd(9, m, 0);
      float[] vvt = {1, 2, 3, 2, 4, 6, 3, 6, 9};
      System.arraycopy(vvt, 0, a, 5 * m * m, m * m);
      e = expectNpd(op, "obsCov", a, 9, m, 1, 5, 1);
      assertEquals(0.0, e.value(), op);
    }
  }

  @Test
  void nanInUpperTriangleIgnoredByCholeskyButSeenByFactorSpd() {
    int m = 4;
    int mm = m * m;
    float[] a = randomSpd(9, m, 0);
    float[] clean = new float[a.length];
    SpdBatch.cholesky("a", 9, m, a, 0, clean, 0, 1);
    a[5 * mm + 1 * m + 3] = Float.NaN; // (1, 3): strict upper triangle
    float[] l = new float[a.length];
    SpdBatch.cholesky("a", 9, m, a, 0, l, 0, 1);
    assertArrayEquals(clean, l, "cholesky must read only the lower triangle");
    // factorSpd symmetrises, so the NaN reaches (3, 1) and fails row 3.
    NotPositiveDefiniteException e = assertThrows(NotPositiveDefiniteException.class,
        () -> SpdBatch.factorSpd("s", 9, m, a, 0, 1e-3f, new float[a.length], 0, 1));
    assertEquals("s", e.matrixName());
    assertEquals(5, e.batchIndex());
    assertEquals(3, e.pivot());
    assertTrue(Double.isNaN(e.value()));
  }

  @Test
  void lowestFailingBatchIndexIsReportedForEveryThreadCount() {
    int m = 4;
    int batch = 640;
    for (String op : FACTORISING_NAMES) {
      for (int p = 1; p <= 4; p++) {
        float[] a = randomSpd(batch, m, 0);
        setSym(a, 600 * m * m, m, 2, 2, -1f);
        expectNpd(op, "q", a, batch, m, p, 600, 2);
        setSym(a, 5 * m * m, m, 1, 1, Float.NaN);
        expectNpd(op, "q", a, batch, m, p, 5, 1);
      }
    }
  }

  @Test
  void singularTriangularMatricesThrow() {
    int m = 4;
    int mm = m * m;
    for (int variant = 0; variant < 4; variant++) {
      boolean lower = (variant & 1) == 0;
      boolean transpose = (variant & 2) != 0;
      for (float bad : new float[] {0f, -0f, Float.NaN, Float.NEGATIVE_INFINITY}) {
        float[] t = randomSpd(9, m, 0); // only one triangle is read; diagonal ≥ 0.5
        t[5 * mm + 2 * m + 2] = bad;
        SingularMatrixException e = assertThrows(SingularMatrixException.class,
            () -> SpdBatch.solveTriangular(9, m, 1, lower, transpose, t, 0, new float[9 * m], 0,
                new float[9 * m], 0, 1));
        assertEquals("t", e.matrixName());
        assertEquals(5, e.batchIndex());
        assertEquals(2, e.row());
        assertEquals(Double.valueOf(bad), Double.valueOf(e.value()));
        assertTrue(e.getMessage().contains("'t'") && e.getMessage().contains("row 2"), e.getMessage());
        if (variant == 0) {
          SingularMatrixException c = assertThrows(SingularMatrixException.class,
              () -> SpdBatch.choleskySolve(9, m, 2, t, 0, new float[9 * m * 2], 0,
                  new float[9 * m * 2], 0, 1));
          assertEquals("l", c.matrixName());
          assertEquals(5, c.batchIndex());
          assertEquals(2, c.row());
        }
      }
    }
  }

  @Test
  void nonPositiveDiagonalGivesNonFiniteLogDet() {
    float[] l = {2f, 0f, -1f};
    float[] out = new float[3];
    SpdBatch.logDetFromCholesky(3, 1, l, 0, out, 0);
    assertEquals((float) (2 * Math.log(2)), out[0]);
    assertEquals(Float.NEGATIVE_INFINITY, out[1]);
    assertTrue(Float.isNaN(out[2]));
    // Two negative diagonal entries must not cancel into a finite value.
    float[] l2 = {-2f, 0f, 0f, -3f};
    SpdBatch.logDetFromCholesky(1, 2, l2, 0, out, 0);
    assertTrue(Float.isNaN(out[0]));
  }

  @Test
  void logDetSurvivesExtremeDiagonals() {
    // 16 diagonal entries at the ends of the float range: their product under- or overflows a
    // double, the sum of logs does not.
    int m = 16;
    for (float d : new float[] {Float.MIN_VALUE, Float.MIN_NORMAL, 1e-20f, 3e18f, Float.MAX_VALUE}) {
      float[] l = new float[m * m];
      for (int i = 0; i < m; i++) {
        l[i * m + i] = d;
      }
      float[] out = new float[1];
      SpdBatch.logDetFromCholesky(1, m, l, 0, out, 0);
      double ref = 2 * m * Math.log(d);
      assertNear("logDet of " + d + "·I", new double[] {ref}, out, 0, EPS, 0);
    }
  }

  // ------------------------------------------------------------------ aliasing and threads

  @Test
  void inPlaceMatchesOutOfPlace() {
    int batch = 7;
    for (int m : new int[] {1, 3, 4, 9}) {
      int mm = m * m;
      int nrhs = 3;
      float[] a = Arrays.copyOf(randomSpd(batch, m, 0), batch * mm);
      float[] rhs = randomFloats(batch * m * nrhs);

      float[] l = new float[a.length];
      SpdBatch.cholesky("a", batch, m, a, 0, l, 0);
      float[] inPlace = a.clone();
      SpdBatch.cholesky("a", batch, m, inPlace, 0, inPlace, 0);
      assertArrayEquals(l, inPlace, "cholesky in place, m=" + m);

      float[] f = new float[a.length];
      SpdBatch.factorSpd("a", batch, m, a, 0, 0.5f, f, 0);
      inPlace = a.clone();
      SpdBatch.factorSpd("a", batch, m, inPlace, 0, 0.5f, inPlace, 0);
      assertArrayEquals(f, inPlace, "factorSpd in place, m=" + m);

      float[] inv = new float[a.length];
      SpdBatch.spdInverse("a", batch, m, a, 0, inv, 0);
      inPlace = a.clone();
      SpdBatch.spdInverse("a", batch, m, inPlace, 0, inPlace, 0);
      assertArrayEquals(inv, inPlace, "spdInverse in place, m=" + m);

      float[] x = new float[rhs.length];
      SpdBatch.spdSolve("a", batch, m, nrhs, a, 0, rhs, 0, x, 0);
      float[] xb = rhs.clone();
      SpdBatch.spdSolve("a", batch, m, nrhs, a, 0, xb, 0, xb, 0);
      assertArrayEquals(x, xb, "spdSolve x == b, m=" + m);

      SpdBatch.choleskySolve(batch, m, nrhs, l, 0, rhs, 0, x, 0);
      xb = rhs.clone();
      SpdBatch.choleskySolve(batch, m, nrhs, l, 0, xb, 0, xb, 0);
      assertArrayEquals(x, xb, "choleskySolve x == b, m=" + m);

      for (int variant = 0; variant < 4; variant++) {
        boolean lower = (variant & 1) == 0;
        boolean transpose = (variant & 2) != 0;
        float[] t = lower ? l : transposeAll(l, batch, m);
        SpdBatch.solveTriangular(batch, m, nrhs, lower, transpose, t, 0, rhs, 0, x, 0);
        xb = rhs.clone();
        SpdBatch.solveTriangular(batch, m, nrhs, lower, transpose, t, 0, xb, 0, xb, 0);
        assertArrayEquals(x, xb, "solveTriangular x == b, variant " + variant + ", m=" + m);
      }
    }
  }

  private static float[] transposeAll(float[] x, int batch, int m) {
    float[] t = new float[x.length];
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          t[b * m * m + j * m + i] = x[b * m * m + i * m + j];
        }
      }
    }
    return t;
  }

  /** Each output of every kernel, at a given thread count, concatenated. */
  private static float[] allOutputs(int batch, int m, int nrhs, float[] a, float[] rhs, int p) {
    int mm = m * m;
    int mn = m * nrhs;
    float[] out = new float[batch * (3 * mm + 6 * mn + 1)];
    int at = 0;
    SpdBatch.cholesky("a", batch, m, a, 0, out, at, p);
    float[] l = Arrays.copyOfRange(out, at, at + batch * mm);
    at += batch * mm;
    SpdBatch.factorSpd("a", batch, m, a, 0, 0.125f, out, at, p);
    at += batch * mm;
    SpdBatch.spdInverse("a", batch, m, a, 0, out, at, p);
    at += batch * mm;
    SpdBatch.spdSolve("a", batch, m, nrhs, a, 0, rhs, 0, out, at, p);
    at += batch * mn;
    SpdBatch.choleskySolve(batch, m, nrhs, l, 0, rhs, 0, out, at, p);
    at += batch * mn;
    for (int variant = 0; variant < 4; variant++) {
      SpdBatch.solveTriangular(batch, m, nrhs, (variant & 1) == 0, (variant & 2) != 0, l, 0, rhs, 0,
          out, at, p);
      at += batch * mn;
    }
    SpdBatch.logDetFromCholesky(batch, m, l, 0, out, at, p);
    return out;
  }

  @Test
  void bitwiseIdenticalForEveryThreadCount() {
    int batch = 640;
    for (int m : new int[] {2, 4, 9}) {
      int nrhs = 3;
      float[] a = randomSpd(batch, m, 0);
      float[] rhs = randomFloats(batch * m * nrhs);
      // Upper triangle of the triangular inputs is L's zero; fine for the lower and upper variants
      // alike (the upper variants then solve with a diagonal matrix).
      float[] one = allOutputs(batch, m, nrhs, a, rhs, 1);
      for (int p = 2; p <= 3; p++) {
        assertArrayEquals(one, allOutputs(batch, m, nrhs, a, rhs, p), "m=" + m + ", parallelism " + p);
      }
      // For m ≥ 4 even the cheapest kernel here (Cholesky, ~m²·(m+1) per matrix) is split over
      // all three threads, so the parallel path really is compared.
      if (m >= 4) {
        assertEquals(3, SpdBatch.threads(batch, (long) m * m * (m + 1), 3));
      }
    }
  }

  @Test
  void singleThreadedCallsAllocateNothingOnceWarm() {
    assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean bean =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled());
    int batch = 64;
    int m = 4;
    float[] a = randomSpd(batch, m, 0);
    float[] l = new float[a.length];
    float[] rhs = randomFloats(batch * m);
    float[] x = new float[rhs.length];
    float[] ld = new float[batch];
    long tid = Thread.currentThread().getId();
    long overhead = Long.MAX_VALUE;
    long used = Long.MAX_VALUE;
    for (int rep = 0; rep < 5; rep++) {
      long t0 = bean.getThreadAllocatedBytes(tid);
      long t1 = bean.getThreadAllocatedBytes(tid);
      SpdBatch.factorSpd("a", batch, m, a, 0, 1e-4f, l, 0, 1);
      SpdBatch.choleskySolve(batch, m, 1, l, 0, rhs, 0, x, 0, 1);
      SpdBatch.spdSolve("a", batch, m, 1, a, 0, rhs, 0, x, 0, 1);
      SpdBatch.solveTriangular(batch, m, 1, true, true, l, 0, rhs, 0, x, 0, 1);
      SpdBatch.logDetFromCholesky(batch, m, l, 0, ld, 0, 1);
      SpdBatch.spdInverse("a", batch, m, a, 0, l, 0, 1);
      long t2 = bean.getThreadAllocatedBytes(tid);
      overhead = Math.min(overhead, t1 - t0);
      used = Math.min(used, t2 - t1);
    }
    assertTrue(used <= overhead, "allocated " + used + " bytes (measurement overhead " + overhead + ")");
  }

  // ------------------------------------------------------------------ arguments

  private static void assertMessage(Class<? extends Throwable> type, String fragment, Executable call) {
    Throwable e = assertThrows(type, call);
    assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
  }

  @Test
  void badArgumentsAreNamed() {
    float[] a = randomSpd(2, 3, 0);
    float[] l = new float[18];
    float[] b = new float[6];
    float[] x = new float[6];
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertMessage(iae, "cholesky: 'm' must be >= 1, got 0",
        () -> SpdBatch.cholesky("a", 2, 0, a, 0, l, 0));
    assertMessage(iae, "cholesky: 'm' must be >= 1, got -3",
        () -> SpdBatch.cholesky("a", 2, -3, a, 0, l, 0));
    assertMessage(iae, "cholesky: 'batch' must be >= 0, got -1",
        () -> SpdBatch.cholesky("a", -1, 3, a, 0, l, 0));
    assertMessage(iae, "cholesky: 'parallelism' must be >= 1, got 0",
        () -> SpdBatch.cholesky("a", 2, 3, a, 0, l, 0, 0));
    assertMessage(iae, "cholesky: array 'l' too short: needs 18 elements from offset 1, has 18",
        () -> SpdBatch.cholesky("a", 2, 3, a, 0, l, 1));
    assertMessage(iae, "cholesky: array 'a' too short",
        () -> SpdBatch.cholesky("a", 3, 3, a, 0, new float[27], 0));
    assertMessage(iae, "cholesky: offset of 'a' must be >= 0, got -1",
        () -> SpdBatch.cholesky("a", 2, 3, a, -1, l, 0));
    assertMessage(NullPointerException.class, "cholesky: array 'l' is null",
        () -> SpdBatch.cholesky("a", 2, 3, a, 0, null, 0));
    assertMessage(NullPointerException.class, "cholesky: 'name' is null",
        () -> SpdBatch.cholesky(null, 2, 3, a, 0, l, 0));
    assertMessage(iae, "factorSpd: 'jitter' must be finite and >= 0, got -1.0",
        () -> SpdBatch.factorSpd("a", 2, 3, a, 0, -1f, l, 0));
    assertMessage(iae, "factorSpd: 'jitter' must be finite and >= 0, got NaN",
        () -> SpdBatch.factorSpd("a", 2, 3, a, 0, Float.NaN, l, 0));
    assertMessage(iae, "spdSolve: 'nrhs' must be >= 0, got -1",
        () -> SpdBatch.spdSolve("a", 2, 3, -1, a, 0, b, 0, x, 0));
    assertMessage(iae, "spdSolve: array 'b' too short: needs 12 elements",
        () -> SpdBatch.spdSolve("a", 2, 3, 2, a, 0, b, 0, new float[12], 0));
    assertMessage(iae, "spdSolve: array 'x' too short",
        () -> SpdBatch.spdSolve("a", 2, 3, 1, a, 0, b, 0, new float[5], 0));
    assertMessage(iae, "solveTriangular: array 't' too short",
        () -> SpdBatch.solveTriangular(2, 3, 1, true, false, new float[17], 0, b, 0, x, 0));
    assertMessage(iae, "solveTriangular: 'm' must be >= 1, got 0",
        () -> SpdBatch.solveTriangular(2, 0, 1, true, false, a, 0, b, 0, x, 0));
    assertMessage(iae, "choleskySolve: array 'l' too short",
        () -> SpdBatch.choleskySolve(2, 3, 1, new float[10], 0, b, 0, x, 0));
    assertMessage(iae, "spdInverse: array 'inv' too short",
        () -> SpdBatch.spdInverse("a", 2, 3, a, 0, new float[17], 0));
    assertMessage(iae, "logDetFromCholesky: array 'out' too short",
        () -> SpdBatch.logDetFromCholesky(2, 3, a, 0, new float[1], 0));
    assertMessage(iae, "logDetFromCholesky: array 'l' too short",
        () -> SpdBatch.logDetFromCholesky(3, 3, a, 0, new float[3], 0));
    assertMessage(iae, "'m' (100000) and 'nrhs' (1) too large",
        () -> SpdBatch.spdSolve("a", 0, 100000, 1, a, 0, b, 0, x, 0));
  }

  @Test
  void emptyBatchesAndZeroRightHandSidesDoNothing() {
    float[] empty = new float[0];
    SpdBatch.cholesky("a", 0, 5, empty, 0, empty, 0);
    SpdBatch.factorSpd("a", 0, 5, empty, 0, 0f, empty, 0);
    SpdBatch.spdInverse("a", 0, 5, empty, 0, empty, 0);
    SpdBatch.spdSolve("a", 0, 5, 2, empty, 0, empty, 0, empty, 0);
    SpdBatch.choleskySolve(0, 5, 2, empty, 0, empty, 0, empty, 0);
    SpdBatch.solveTriangular(0, 5, 2, false, true, empty, 0, empty, 0, empty, 0);
    SpdBatch.logDetFromCholesky(0, 5, empty, 0, empty, 0);
    // nrhs = 0: X is empty, so nothing is computed; not even a non-SPD or singular matrix is read.
    float[] bad = nans(2 * 9);
    SpdBatch.spdSolve("a", 2, 3, 0, bad, 0, empty, 0, empty, 0);
    SpdBatch.choleskySolve(2, 3, 0, bad, 0, empty, 0, empty, 0);
    SpdBatch.solveTriangular(2, 3, 0, true, false, bad, 0, empty, 0, empty, 0);
    // ...but the matrix array is still validated.
    assertMessage(IllegalArgumentException.class, "spdSolve: array 'a' too short",
        () -> SpdBatch.spdSolve("a", 2, 3, 0, new float[17], 0, empty, 0, empty, 0));
  }
}
