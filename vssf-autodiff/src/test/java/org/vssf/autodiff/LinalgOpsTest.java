package org.vssf.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vssf.linalg.NotPositiveDefiniteException;
import org.vssf.linalg.SingularMatrixException;
import org.vssf.testing.SeededTest;

/**
 * Gradchecks of {@link LinalgOps} over sizes m = 1, 2, 3, 4, 7, batch 1 and 3, one and two
 * right-hand sides, broadcast products, reused and unused inputs; forward values against direct
 * loops; and the errors.
 *
 * <p>Tolerances: every input here is well conditioned (triangular diagonals ≥ 1 in magnitude with
 * off-diagonal entries ≤ ½; SPD inputs {@code X·Xᵀ + c·I} with {@code c ≥ 1 + m/2}), so the
 * float32 forward error is a few ulps and the finite-difference noise stays near the 1e-5 relative
 * estimated in {@link GradCheck}: its default tolerance 2e-3 applies unchanged. The step h = 1e-2
 * keeps every perturbed matrix inside the SPD set / away from a zero diagonal.
 */
class LinalgOpsTest extends SeededTest {
  private static final int[] SIZES = {1, 2, 3, 4, 7};
  private static final int[] BATCHES = {1, 3};

  private Tensor param(int... shape) {
    return Tensor.wrap(randomFloats(Shapes.size(shape)), shape).requiresGrad(true);
  }

  /** {@code lead + [r, c]}. */
  private static int[] shape(int[] lead, int r, int c) {
    int[] s = java.util.Arrays.copyOf(lead, lead.length + 2);
    s[lead.length] = r;
    s[lead.length + 1] = c;
    return s;
  }

  /**
   * Triangular matrices (lower or upper) with diagonal entries of magnitude in [1, 2] and random
   * sign, off-diagonal entries in [-½, ½]; the other triangle holds noise the ops must ignore.
   */
  private Tensor triangular(boolean lower, int[] lead, int m) {
    Tensor t = param(shape(lead, m, m));
    float[] v = t.data();
    for (int o = 0; o < v.length; o += m * m) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          int at = o + i * m + j;
          if (i == j) {
            v[at] = (float) ((1 + rng.nextDouble()) * (rng.nextBoolean() ? 1 : -1));
          } else if ((j < i) == lower) {
            v[at] *= 0.5f;
          } else {
            v[at] *= 3f; // ignored triangle: loud noise
          }
        }
      }
    }
    return t;
  }

  /** Lower factors with a positive diagonal in [1, 2] and zeros above. */
  private Tensor lowerFactor(int[] lead, int m) {
    Tensor l = triangular(true, lead, m);
    float[] v = l.data();
    for (int o = 0; o < v.length; o += m * m) {
      for (int i = 0; i < m; i++) {
        v[o + i * m + i] = Math.abs(v[o + i * m + i]);
        for (int j = i + 1; j < m; j++) {
          v[o + i * m + j] = 0f;
        }
      }
    }
    return l;
  }

  /** {@code c·I} as an [m, m] constant. */
  private static Tensor eye(int m, float c) {
    Tensor t = Tensor.zeros(m, m);
    for (int i = 0; i < m; i++) {
      t.data()[i * m + i] = c;
    }
    return t;
  }

  /** An SPD parametrisation that stays SPD under any small change of X: X·Xᵀ + (1 + m/2)·I. */
  private static Tensor spd(Tensor x, int m) {
    return Ops.add(LinalgOps.matmul(x, Ops.transpose(x)), eye(m, 1f + m / 2f));
  }

  /** ½(S + Sᵀ): a symmetric input whose individual entries can be perturbed. */
  private static Tensor sym(Tensor s) {
    return Ops.scale(Ops.add(s, Ops.transpose(s)), 0.5f);
  }

  /** A concrete SPD value (no gradient) of the given batch shape. */
  private Tensor spdValue(int[] lead, int m) {
    try (Tape.Scope ng = Tape.noGrad()) {
      return spd(Tensor.wrap(randomFloats(Shapes.size(shape(lead, m, m))), shape(lead, m, m)), m);
    }
  }

  private static float[] naiveMatmul(float[] a, int aOff, float[] b, int bOff, int n, int k, int p) {
    float[] c = new float[n * p];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < p; j++) {
        double s = 0;
        for (int q = 0; q < k; q++) {
          s += (double) a[aOff + i * k + q] * b[bOff + q * p + j];
        }
        c[i * p + j] = (float) s;
      }
    }
    return c;
  }

  // ============================================================================= matmul

  @Test
  void matmulGradientsOverShapes() {
    int[][][] pairs = {
      {{3, 4}, {4, 2}}, {{1, 1}, {1, 1}}, {{1, 5}, {5, 1}}, {{5, 1}, {1, 3}},
      {{3, 2, 4}, {3, 4, 5}}, {{1, 3, 3}, {1, 3, 2}}, {{2, 3, 2, 4}, {2, 3, 4, 3}},
      {{3, 2, 4}, {4, 5}}, {{2, 4}, {3, 4, 5}}, {{2, 3, 2, 4}, {4, 3}}, {{3, 4}, {2, 2, 4, 1}},
      {{3, 7, 7}, {7, 2}}
    };
    for (int[][] pr : pairs) {
      String s = Shapes.str(pr[0]) + " x " + Shapes.str(pr[1]) + seedInfo();
      GradCheck.check("matmul " + s, x -> LinalgOps.matmul(x[0], x[1]), rng, param(pr[0]), param(pr[1]));
    }
  }

  @Test
  void matmulForwardMatchesLoopsAndBroadcastShapes() {
    Tensor a = param(3, 2, 4);
    Tensor b = param(4, 5);
    Tensor c = LinalgOps.matmul(a, b);
    assertArrayEquals(new int[] {3, 2, 5}, c.shape());
    for (int e = 0; e < 3; e++) {
      float[] ref = naiveMatmul(a.data(), e * 8, b.data(), 0, 2, 4, 5);
      for (int i = 0; i < 10; i++) {
        assertEquals(ref[i], c.data()[e * 10 + i], 1e-5, "shared B, batch " + e);
      }
    }
    Tensor a2 = param(2, 4);
    Tensor b2 = param(3, 4, 5);
    Tensor c2 = LinalgOps.matmul(a2, b2);
    assertArrayEquals(new int[] {3, 2, 5}, c2.shape());
    for (int e = 0; e < 3; e++) {
      float[] ref = naiveMatmul(a2.data(), 0, b2.data(), e * 20, 2, 4, 5);
      for (int i = 0; i < 10; i++) {
        assertEquals(ref[i], c2.data()[e * 10 + i], 1e-5, "shared A, batch " + e);
      }
    }
    Tape.clear();
  }

  @Test
  void matmulReusedAndUnusedInputs() {
    for (int[] s : new int[][] {{3, 3}, {2, 4, 4}}) {
      GradCheck.check("matmul(a, a) " + Shapes.str(s) + seedInfo(),
          x -> LinalgOps.matmul(x[0], x[0]), rng, param(s));
    }
    GradCheck.check("matmul(a, aᵀ)" + seedInfo(),
        x -> LinalgOps.matmul(x[0], Ops.transpose(x[0])), rng, param(3, 2, 4));
    GradCheck.check("matmul, one input unused" + seedInfo(),
        x -> LinalgOps.matmul(x[0], x[1]), rng, param(2, 3), param(3, 2), param(4));
    // b needs no gradient: only a's is formed
    Tensor a = param(2, 3);
    Tensor b = Tensor.wrap(randomFloats(6), 3, 2);
    GradCheck.check("matmul, constant b" + seedInfo(), x -> LinalgOps.matmul(x[0], x[1]), rng, a, b);
    assertEquals(null, b.grad());
  }

  @Test
  void gradientsAccumulateAcrossBackwardCalls() {
    Tensor a = param(3, 2, 4);
    Tensor b = param(4, 5);
    Ops.sum(LinalgOps.matmul(a, b)).backward();
    float[] ga = a.grad().clone();
    float[] gb = b.grad().clone();
    Ops.sum(LinalgOps.matmul(a, b)).backward();
    for (int i = 0; i < ga.length; i++) {
      assertEquals(2 * ga[i], a.grad()[i], 1e-5);
    }
    for (int i = 0; i < gb.length; i++) {
      assertEquals(2 * gb[i], b.grad()[i], 1e-5);
    }
  }

  @Test
  void transposeAndTril() {
    GradCheck.check("transpose" + seedInfo(), x -> Ops.transpose(x[0]), rng, param(2, 3, 4));
    GradCheck.check("tril square" + seedInfo(), x -> LinalgOps.tril(x[0]), rng, param(3, 4, 4));
    GradCheck.check("tril wide" + seedInfo(), x -> LinalgOps.tril(x[0]), rng, param(2, 5));
    Tensor x = param(2, 3);
    Tensor t = Ops.transpose(x);
    assertArrayEquals(new int[] {3, 2}, t.shape());
    assertEquals(x.get(1, 2), t.get(2, 1));
    Tensor l = LinalgOps.tril(x);
    assertEquals(0f, l.get(0, 1));
    assertEquals(x.get(1, 1), l.get(1, 1));
    Tape.clear();
  }

  // =========================================================================== Cholesky

  @Test
  void choleskyGradientThroughSpdParametrisation() {
    for (int m : SIZES) {
      for (int batch : BATCHES) {
        String s = " m=" + m + " batch=" + batch + seedInfo();
        GradCheck.check("cholesky(X·Xᵀ + cI)" + s, x -> LinalgOps.cholesky(spd(x[0], m)), rng,
            param(batch, m, m));
      }
    }
    GradCheck.check("cholesky(X·Xᵀ + cI), 2-D" + seedInfo(),
        x -> LinalgOps.cholesky(spd(x[0], 3)), rng, param(3, 3));
    GradCheck.check("cholesky(X·Xᵀ + cI), two batch axes" + seedInfo(),
        x -> LinalgOps.cholesky(spd(x[0], 2)), rng, param(2, 3, 2, 2));
  }

  /**
   * Through ½(S + Sᵀ) each entry of S can move on its own; the symmetric convention makes the
   * gradient of S equal the gradient of A (½(Ā + Āᵀ) = Ā), which the check confirms entry by entry.
   */
  @Test
  void choleskyGradientThroughSymmetrisedInput() {
    for (int m : SIZES) {
      for (int batch : BATCHES) {
        Tensor s0 = spdValue(new int[] {batch}, m).requiresGrad(true);
        GradCheck.check("cholesky(½(S + Sᵀ)) m=" + m + " batch=" + batch + seedInfo(),
            x -> LinalgOps.cholesky(sym(x[0])), rng, s0);
      }
    }
  }

  @Test
  void choleskyGradientIsSymmetricAndForwardIsAFactor() {
    int m = 4;
    Tensor a = spdValue(new int[] {3}, m).requiresGrad(true);
    Tensor l = LinalgOps.cholesky(a);
    Ops.sum(Ops.mul(l, Tensor.wrap(randomFloats(l.size()), l.shape()))).backward();
    float[] g = a.grad();
    for (int e = 0; e < 3; e++) {
      int o = e * m * m;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          assertEquals(g[o + i * m + j], g[o + j * m + i], "symmetric gradient");
          double s = 0;
          for (int k = 0; k < m; k++) {
            s += (double) l.data()[o + i * m + k] * l.data()[o + j * m + k];
          }
          assertEquals(a.data()[o + i * m + j], s, 1e-5 * (1 + m), "L·Lᵀ = A");
          if (j > i) {
            assertEquals(0f, l.data()[o + i * m + j], "upper triangle of L");
          }
        }
      }
    }
  }

  @Test
  void choleskyReadsOnlyTheLowerTriangle() {
    Tensor a = spdValue(new int[] {2}, 3);
    Tensor noisy = a.detachCopy();
    noisy.data()[1] = 1e6f; // (0, 1): strict upper, ignored
    noisy.data()[9 + 5] = Float.NaN; // (1, 2) of the second matrix
    assertArrayEquals(LinalgOps.cholesky(a).data(), LinalgOps.cholesky(noisy).data());
  }

  // ================================================================== triangular solves

  @Test
  void solveTriangularGradients() {
    for (boolean lower : new boolean[] {true, false}) {
      for (boolean transpose : new boolean[] {false, true}) {
        for (int m : SIZES) {
          for (int batch : BATCHES) {
            for (int k : new int[] {1, 2}) {
              String s = " lower=" + lower + " transpose=" + transpose + " m=" + m + " batch=" + batch
                  + " k=" + k + seedInfo();
              GradCheck.check("solveTriangular" + s,
                  x -> LinalgOps.solveTriangular(x[0], x[1], lower, transpose), rng,
                  triangular(lower, new int[] {batch}, m), param(batch, m, k));
            }
          }
        }
      }
    }
  }

  @Test
  void solveTriangularReusedUnusedAndBatchShapes() {
    for (boolean transpose : new boolean[] {false, true}) {
      GradCheck.check("solveTriangular(l, l) transpose=" + transpose + seedInfo(),
          x -> LinalgOps.solveTriangular(x[0], x[0], true, transpose), rng,
          triangular(true, new int[] {3}, 4));
    }
    GradCheck.check("solveTriangular 2-D" + seedInfo(),
        x -> LinalgOps.solveTriangular(x[0], x[1], true, false), rng,
        triangular(true, new int[0], 3), param(3, 2));
    GradCheck.check("solveTriangular two batch axes" + seedInfo(),
        x -> LinalgOps.solveTriangular(x[0], x[1], false, true), rng,
        triangular(false, new int[] {2, 2}, 3), param(2, 2, 3, 2));
    GradCheck.check("solveTriangular, unused input" + seedInfo(),
        x -> LinalgOps.solveTriangular(x[0], x[1], true, false), rng,
        triangular(true, new int[] {2}, 3), param(2, 3, 1), param(5));
    // only T needs a gradient / only B does
    Tensor t = triangular(true, new int[] {2}, 3);
    Tensor b = Tensor.wrap(randomFloats(6), 2, 3, 1);
    GradCheck.check("solveTriangular, constant b" + seedInfo(),
        x -> LinalgOps.solveTriangular(x[0], x[1], true, true), rng, t, b);
    Tensor tc = triangular(true, new int[] {2}, 3).requiresGrad(false);
    GradCheck.check("solveTriangular, constant t" + seedInfo(),
        x -> LinalgOps.solveTriangular(x[0], x[1], true, true), rng, tc, param(2, 3, 2));
  }

  @Test
  void solveTriangularSolves() {
    for (boolean lower : new boolean[] {true, false}) {
      for (boolean transpose : new boolean[] {false, true}) {
        Tensor t = triangular(lower, new int[] {2}, 4);
        Tensor b = param(2, 4, 3);
        Tensor x = LinalgOps.solveTriangular(t, b, lower, transpose);
        for (int e = 0; e < 2; e++) {
          for (int i = 0; i < 4; i++) {
            for (int c = 0; c < 3; c++) {
              double s = 0;
              for (int q = 0; q < 4; q++) {
                int r = transpose ? q : i; // op(T)_iq = T_r,col
                int col = transpose ? i : q;
                boolean read = lower ? col <= r : col >= r;
                if (read) {
                  s += (double) t.get(e, r, col) * x.get(e, q, c);
                }
              }
              assertEquals(b.get(e, i, c), s, 1e-5, "op(T)·X = B lower=" + lower + " transpose=" + transpose);
            }
          }
        }
      }
    }
    Tape.clear();
  }

  // ===================================================================== log-determinant

  @Test
  void logDetFromCholeskyGradients() {
    for (int m : SIZES) {
      for (int[] lead : new int[][] {{}, {1}, {3}, {2, 3}}) {
        Tensor l = lowerFactor(lead, m);
        Tensor out = LinalgOps.logDetFromCholesky(l);
        assertArrayEquals(lead, out.shape());
        GradCheck.check("logDetFromCholesky m=" + m + " lead=" + Shapes.str(lead) + seedInfo(),
            x -> LinalgOps.logDetFromCholesky(x[0]), rng, l);
      }
    }
    Tape.clear();
  }

  @Test
  void logDetOfCholeskyIsLogDetOfA() {
    // d log det A / dA = A⁻¹ (symmetric): composite cholesky + logDet against spdSolve(A, I).
    int m = 4;
    Tensor a = spdValue(new int[] {2}, m).requiresGrad(true);
    Ops.sum(LinalgOps.logDetFromCholesky(LinalgOps.cholesky(a))).backward();
    Tensor eye = Tensor.wrap(new float[2 * m * m], 2, m, m);
    for (int e = 0; e < 2; e++) {
      for (int i = 0; i < m; i++) {
        eye.data()[e * m * m + i * m + i] = 1f;
      }
    }
    Tensor inv = LinalgOps.spdSolve(a.detachCopy(), eye);
    for (int i = 0; i < inv.size(); i++) {
      assertEquals(inv.data()[i], a.grad()[i], 1e-5, "element " + i);
    }
    Tape.clear();
  }

  // ========================================================================== SPD solve

  @Test
  void spdSolveGradients() {
    for (int m : SIZES) {
      for (int batch : BATCHES) {
        for (int k : new int[] {1, 2}) {
          String s = " m=" + m + " batch=" + batch + " k=" + k + seedInfo();
          GradCheck.check("spdSolve(X·Xᵀ + cI, B)" + s,
              x -> LinalgOps.spdSolve(spd(x[0], m), x[1]), rng, param(batch, m, m), param(batch, m, k));
          Tensor s0 = spdValue(new int[] {batch}, m).requiresGrad(true);
          GradCheck.check("spdSolve(½(S + Sᵀ), B)" + s,
              x -> LinalgOps.spdSolve(sym(x[0]), x[1]), rng, s0, param(batch, m, k));
        }
      }
    }
    GradCheck.check("spdSolve, unused input" + seedInfo(),
        x -> LinalgOps.spdSolve(sym(x[0]), x[1]), rng, spdValue(new int[] {2}, 3).requiresGrad(true),
        param(2, 3, 2), param(3));
  }

  @Test
  void spdSolveMatchesCholeskyComposite() {
    for (int m : SIZES) {
      Tensor a = spdValue(new int[] {3}, m).requiresGrad(true);
      Tensor b = param(3, m, 2);
      float[] w = randomFloats(b.size());
      Tensor x = LinalgOps.spdSolve(a, b);
      Ops.sum(Ops.mul(x, Tensor.wrap(w.clone(), b.shape()))).backward();
      float[] ga = a.grad().clone();
      float[] gb = b.grad().clone();
      a.zeroGrad();
      b.zeroGrad();
      Tensor l = LinalgOps.cholesky(a);
      Tensor xc = LinalgOps.solveTriangular(l, LinalgOps.solveTriangular(l, b, true, false), true, true);
      Ops.sum(Ops.mul(xc, Tensor.wrap(w.clone(), b.shape()))).backward();
      String s = "spdSolve vs composite m=" + m + seedInfo();
      assertClose(s + " value", xc.data(), x.data(), 1e-5);
      assertClose(s + " dA", a.grad(), ga, 1e-4);
      assertClose(s + " dB", b.grad(), gb, 1e-4);
    }
  }

  private static void assertClose(String what, float[] expected, float[] actual, double rel) {
    double max = 0;
    for (float v : expected) {
      max = Math.max(max, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(expected[i] - actual[i]);
      assertTrue(err <= rel * Math.max(Math.abs(expected[i]), 0.1 * max),
          what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
    }
  }

  // ====================================================================== Gaussian density

  @Test
  void gaussianLogPdfGradients() {
    for (int m : SIZES) {
      for (int batch : BATCHES) {
        GradCheck.check("gaussianLogPdfPrecisionChol m=" + m + " batch=" + batch + seedInfo(),
            x -> LinalgOps.gaussianLogPdfPrecisionChol(x[0], x[1], x[2]), rng,
            param(batch, m), param(batch, m), lowerFactor(new int[] {batch}, m));
      }
    }
    GradCheck.check("gaussianLogPdfPrecisionChol, shared mean" + seedInfo(),
        x -> LinalgOps.gaussianLogPdfPrecisionChol(x[0], x[1], x[2]), rng,
        param(3, 2), param(2), lowerFactor(new int[] {3}, 2));
    GradCheck.check("gaussianLogPdfPrecisionChol, unbatched" + seedInfo(),
        x -> LinalgOps.gaussianLogPdfPrecisionChol(x[0], x[1], x[2]), rng,
        param(3), param(3), lowerFactor(new int[0], 3));
  }

  @Test
  void gaussianLogPdfOfStandardNormal() {
    // L = I: log N(x; 0, I) = −½‖x‖² − (m/2) log 2π
    Tensor x = Tensor.of(new float[] {0.5f, -1f, 2f}, 1, 3);
    Tensor lp = Tensor.wrap(new float[9], 1, 3, 3);
    for (int i = 0; i < 3; i++) {
      lp.data()[i * 4] = 1f;
    }
    Tensor y = LinalgOps.gaussianLogPdfPrecisionChol(x, Tensor.zeros(3), lp);
    assertArrayEquals(new int[] {1}, y.shape());
    assertEquals(-0.5 * 5.25 - 1.5 * Math.log(2 * Math.PI), y.item(), 1e-5);
  }

  // ============================================================================= errors

  @Test
  void errorsNameOpAndShapes() {
    assertMessage("matmul: [32,16] x [8,4]: inner dimensions differ",
        () -> LinalgOps.matmul(Tensor.zeros(32, 16), Tensor.zeros(8, 4)));
    assertMessage("matmul: [2,3,4] x [3,4,5]: batch dimensions differ",
        () -> LinalgOps.matmul(Tensor.zeros(2, 3, 4), Tensor.zeros(3, 4, 5)));
    assertMessage("matmul: [2,3,4] x [2,2,4,5]: batch dimensions differ",
        () -> LinalgOps.matmul(Tensor.zeros(2, 3, 4), Tensor.zeros(2, 2, 4, 5)));
    assertMessage("matmul: [4] x [4,2]: operands need at least 2 dimensions",
        () -> LinalgOps.matmul(Tensor.zeros(4), Tensor.zeros(4, 2)));
    assertMessage("cholesky: input [3,4] is not square",
        () -> LinalgOps.cholesky(Tensor.zeros(3, 4)));
    assertMessage("cholesky: input [2,3,4] is not square",
        () -> LinalgOps.cholesky(Tensor.zeros(2, 3, 4)));
    assertMessage("cholesky: input [4] needs at least 2 dimensions [..., m, m]",
        () -> LinalgOps.cholesky(Tensor.zeros(4)));
    assertMessage("solveTriangular: [3,4,4] and [2,4,2]: batch dimensions differ",
        () -> LinalgOps.solveTriangular(Tensor.zeros(3, 4, 4), Tensor.zeros(2, 4, 2), true, false));
    assertMessage("solveTriangular: [3,4,4] and [3,5,2]: right-hand side has 5 rows, not 4",
        () -> LinalgOps.solveTriangular(Tensor.zeros(3, 4, 4), Tensor.zeros(3, 5, 2), true, false));
    assertMessage("solveTriangular: [3,4,4] and [4,2]: right-hand side must have rank 3 [..., 4, k]",
        () -> LinalgOps.solveTriangular(Tensor.zeros(3, 4, 4), Tensor.zeros(4, 2), true, false));
    assertMessage("solveTriangular: triangular matrix [3,4,2] is not square",
        () -> LinalgOps.solveTriangular(Tensor.zeros(3, 4, 2), Tensor.zeros(3, 4, 2), true, false));
    assertMessage("spdSolve: [2,3,3] and [3,3,1]: batch dimensions differ",
        () -> LinalgOps.spdSolve(Tensor.zeros(2, 3, 3), Tensor.zeros(3, 3, 1)));
    assertMessage("logDetFromCholesky: input [2,3] is not square",
        () -> LinalgOps.logDetFromCholesky(Tensor.zeros(2, 3)));
    assertMessage("gaussianLogPdfPrecisionChol: x [3,4], mean [4], lPrec [2,4,4]: x - mean must have"
        + " shape [2,4]",
        () -> LinalgOps.gaussianLogPdfPrecisionChol(Tensor.zeros(3, 4), Tensor.zeros(4),
            Tensor.zeros(2, 4, 4)));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable f) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, f);
    assertEquals(expected, e.getMessage());
  }

  @Test
  void notPositiveDefiniteNamesTheMatrix() {
    Tensor a = spdValue(new int[] {3}, 3).requiresGrad(true);
    a.data()[2 * 9 + 4] = -1f; // (1, 1) of matrix 2
    NotPositiveDefiniteException e = assertThrows(NotPositiveDefiniteException.class,
        () -> LinalgOps.cholesky(a));
    assertEquals("cholesky input", e.matrixName());
    assertEquals(2, e.batchIndex());
    assertEquals(1, e.pivot());
    assertTrue(e.getMessage().contains("'cholesky input'"), e.getMessage());
    assertEquals(0, Tape.size(), "nothing recorded by a failed op");

    a.named("processCov");
    e = assertThrows(NotPositiveDefiniteException.class, () -> LinalgOps.cholesky(a));
    assertEquals("processCov", e.matrixName());

    Tensor b = Tensor.zeros(3, 3, 1);
    e = assertThrows(NotPositiveDefiniteException.class,
        () -> LinalgOps.spdSolve(Tensor.zeros(3, 3, 3), b));
    assertEquals("spdSolve input", e.matrixName());
    assertEquals(0, e.batchIndex());
    assertEquals(0, e.pivot());
  }

  @Test
  void singularTriangularMatrix() {
    Tensor t = triangular(true, new int[] {2}, 3);
    t.data()[9 + 8] = 0f; // (2, 2) of matrix 1
    SingularMatrixException e = assertThrows(SingularMatrixException.class,
        () -> LinalgOps.solveTriangular(t, Tensor.zeros(2, 3, 1), true, false));
    assertEquals(1, e.batchIndex());
    assertEquals(2, e.row());
  }

  @Test
  void noGradAndConstantsRecordNothing() {
    Tensor a = spdValue(new int[] {2}, 3);
    Tensor b = Tensor.wrap(randomFloats(6), 2, 3, 1);
    Tensor x = LinalgOps.spdSolve(a, b);
    assertFalse(x.requiresGrad());
    assertEquals(0, Tape.size());
    Tensor p = param(2, 3, 3);
    try (Tape.Scope ng = Tape.noGrad()) {
      Tensor y = LinalgOps.cholesky(spd(p, 3));
      assertFalse(y.requiresGrad());
      assertEquals(0, Tape.size());
    }
  }

  @Test
  void emptyBatchesAndRightHandSides() {
    Tensor l = LinalgOps.cholesky(Tensor.zeros(0, 3, 3));
    assertArrayEquals(new int[] {0, 3, 3}, l.shape());
    Tensor x = LinalgOps.solveTriangular(lowerFactor(new int[] {2}, 3), Tensor.zeros(2, 3, 0), true, false);
    assertArrayEquals(new int[] {2, 3, 0}, x.shape());
    assertArrayEquals(new int[] {0}, LinalgOps.logDetFromCholesky(Tensor.zeros(0, 2, 2)).shape());
    Tensor c = LinalgOps.matmul(Tensor.zeros(2, 0), Tensor.zeros(0, 3));
    assertArrayEquals(new float[6], c.data());
    Tape.clear();
  }
}
