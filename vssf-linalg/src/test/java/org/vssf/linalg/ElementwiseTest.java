package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;
import org.vssf.testing.Tolerances;

/**
 * Every elementwise and reduction kernel, for every implementation, over awkward lengths and
 * offsets, against formulas evaluated in double; special values (NaN, ±Inf) must behave the same
 * in every implementation.
 */
class ElementwiseTest extends SeededTest {
  private static final int[] LENGTHS = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 65, 127, 129, 1021};
  private static final double C = Math.sqrt(2 / Math.PI);
  private static final float SLOPE = 0.3f;

  private static double gelu(double x) {
    return 0.5 * x * (1 + Math.tanh(C * (x + 0.044715 * x * x * x)));
  }

  private static double geluGrad(double x) {
    double t = Math.tanh(C * (x + 0.044715 * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * 0.044715 * x * x);
  }

  /**
   * Magnitude of the terms of gelu'(x), the scale its float32 rounding error is relative to: the
   * two terms nearly cancel around x ≈ -1.6, and the tanh argument u carries error ε·|u|.
   */
  private static double geluGradScale(double x) {
    double u = C * (x + 0.044715 * x * x * x);
    double t = Math.tanh(u);
    return (0.5 * (1 + Math.abs(t)) + Math.abs(0.5 * x * (1 - t * t) * C * (1 + 3 * 0.044715 * x * x)))
        * (1 + Math.abs(u));
  }

  /** Inputs in [-scale, scale) placed at a random offset. */
  private float[] input(int n, int off, double scale) {
    float[] x = new float[off + n + 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (scale * (2 * rng.nextDouble() - 1));
    }
    return x;
  }

  private void assertUnary(String what, int n, int off, float[] x, float[] y, DoubleUnaryOperator f,
      double tol) {
    double[] expected = new double[n];
    for (int i = 0; i < n; i++) {
      expected[i] = f.applyAsDouble(x[off + i]);
    }
    Tolerances.assertClose(what + seedInfo(), expected, null, y, off, null, tol);
  }

  @Test
  void activationsAndTranscendentals() {
    for (KernelSupport k : KernelImplementations.all()) {
      for (int n : LENGTHS) {
        int off = rng.nextInt(5);
        String at = k.name() + " n=" + n + " off=" + off + ": ";
        float[] x = input(n, off, 6);
        float[] y = new float[x.length];
        k.gelu(n, x, off, y, off);
        assertUnary(at + "gelu", n, off, x, y, ElementwiseTest::gelu, Tolerances.TRANSCENDENTAL_REL);
        k.tanh(n, x, off, y, off);
        assertUnary(at + "tanh", n, off, x, y, Math::tanh, Tolerances.TRANSCENDENTAL_REL);
        k.exp(n, x, off, y, off);
        assertUnary(at + "exp", n, off, x, y, Math::exp, Tolerances.TRANSCENDENTAL_REL);
        k.leakyRelu(n, SLOPE, x, off, y, off);
        assertUnary(at + "leakyRelu", n, off, x, y, v -> v > 0 ? v : SLOPE * v, Tolerances.FLOAT_EPS);
        float[] pos = input(n, off, 1);
        for (int i = 0; i < pos.length; i++) {
          pos[i] = Math.abs(pos[i]) * 100 + 1e-3f;
        }
        k.log(n, pos, off, y, off);
        assertUnary(at + "log", n, off, pos, y, Math::log, Tolerances.TRANSCENDENTAL_REL);
      }
    }
  }

  @Test
  void backwardKernelsAccumulate() {
    for (KernelSupport k : KernelImplementations.all()) {
      for (int n : LENGTHS) {
        int off = rng.nextInt(5);
        String at = k.name() + " n=" + n + ": ";
        float[] x = input(n, off, 5);
        float[] dy = input(n, off, 1);
        float[] dx0 = input(n, off, 1);
        float[] t = new float[x.length];
        k.tanh(x.length, x, 0, t, 0);

        float[] dx = dx0.clone();
        k.geluBackward(n, x, off, dy, off, dx, off);
        double[] exp = new double[n];
        double[] scale = new double[n];
        for (int i = 0; i < n; i++) {
          double g = dy[off + i] * geluGrad(x[off + i]);
          exp[i] = dx0[off + i] + g;
          scale[i] = Math.abs(dx0[off + i]) + Math.abs(dy[off + i]) * geluGradScale(x[off + i]) + 1e-6;
        }
        Tolerances.assertClose(at + "geluBackward" + seedInfo(), exp, scale, dx, off, null,
            Tolerances.TRANSCENDENTAL_REL);

        dx = dx0.clone();
        k.tanhBackward(n, t, off, dy, off, dx, off);
        for (int i = 0; i < n; i++) {
          double tt = t[off + i];
          exp[i] = dx0[off + i] + dy[off + i] * (1 - tt * tt);
        }
        Tolerances.assertClose(at + "tanhBackward" + seedInfo(), exp, null, dx, off, null,
            4 * Tolerances.FLOAT_EPS);

        dx = dx0.clone();
        k.leakyReluBackward(n, SLOPE, x, off, dy, off, dx, off);
        for (int i = 0; i < n; i++) {
          exp[i] = dx0[off + i] + (x[off + i] > 0 ? dy[off + i] : SLOPE * dy[off + i]);
        }
        Tolerances.assertClose(at + "leakyReluBackward" + seedInfo(), exp, null, dx, off, null,
            2 * Tolerances.FLOAT_EPS);
      }
    }
  }

  @Test
  void blasLevelOneAndReductions() {
    for (KernelSupport k : KernelImplementations.all()) {
      for (int n : LENGTHS) {
        int xo = rng.nextInt(5);
        int yo = rng.nextInt(5);
        String at = k.name() + " n=" + n + ": ";
        float[] x = input(n, xo, 1);
        float[] y = input(n, yo, 1);
        double dot = 0;
        double dotMag = 0;
        double sum = 0;
        double sumMag = 0;
        for (int i = 0; i < n; i++) {
          dot += (double) x[xo + i] * y[yo + i];
          dotMag += Math.abs((double) x[xo + i] * y[yo + i]);
          sum += x[xo + i];
          sumMag += Math.abs(x[xo + i]);
        }
        assertEquals(dot, k.dot(n, x, xo, y, yo), Tolerances.sumTolerance(n) * dotMag + 1e-7, at + "dot" + seedInfo());
        assertEquals(sum, k.sum(n, x, xo), Tolerances.sumTolerance(n) * sumMag + 1e-7, at + "sum" + seedInfo());

        float alpha = (float) (4 * rng.nextDouble() - 2);
        float[] z = y.clone();
        k.axpy(n, alpha, x, xo, z, yo);
        for (int i = 0; i < z.length; i++) {
          int rel = i - yo;
          double e = rel >= 0 && rel < n ? y[i] + (double) alpha * x[xo + rel] : y[i];
          assertEquals(e, z[i], 3 * Tolerances.FLOAT_EPS * (Math.abs(y[i]) + 2 * Math.abs(alpha)), at + "axpy at " + i);
        }
        z = y.clone();
        k.scale(n, alpha, x, xo, z, yo);
        k.mul(n, x, xo, y, yo, x, xo); // in place: x := x ⊙ y
        for (int i = 0; i < n; i++) {
          assertEquals((double) alpha * (x[xo + i] / (double) y[yo + i]), z[yo + i],
              1e-4 * Math.abs(alpha) + 1e-6, at + "scale/mul at " + i);
        }
      }
    }
  }

  /** The double-accumulating reductions against sums formed in double, with offsets. */
  @Test
  void doubleAccumulatingReductions() {
    for (KernelSupport k : KernelImplementations.all()) {
      for (int n : LENGTHS) {
        int xo = rng.nextInt(5);
        int yo = rng.nextInt(5);
        String at = k.name() + " n=" + n + ": ";
        float[] x = input(n, xo, 3);
        float[] y = input(n, yo, 3);
        for (int i = 0; i < n; i++) {
          x[xo + i] += 5f; // an offset mean, so deviations matter
        }
        double mean = n == 0 ? 0 : 5.0 + 0.01 * rng.nextDouble();
        double sum = 0;
        double sumMag = 0;
        double sq = 0;
        double dot = 0;
        double dotMag = 0;
        for (int i = 0; i < n; i++) {
          sum += x[xo + i];
          sumMag += Math.abs(x[xo + i]);
          double d = x[xo + i] - mean;
          sq += d * d;
          dot += (double) x[xo + i] * y[yo + i];
          dotMag += Math.abs((double) x[xo + i] * y[yo + i]);
        }
        double tol = 1e-13 * (n + 1);
        assertEquals(sum, k.sumAsDouble(n, x, xo), tol * sumMag, at + "sumAsDouble" + seedInfo());
        assertEquals(sq, k.squaredDeviationsAsDouble(n, x, xo, mean), tol * sq + 1e-300,
            at + "squaredDeviationsAsDouble" + seedInfo());
        assertEquals(dot, k.dotAsDouble(n, x, xo, y, yo), tol * dotMag,
            at + "dotAsDouble" + seedInfo());
        // The reductions over double arrays.
        double[] xd = new double[xo + n];
        double[] yd = new double[yo + n];
        double[] wd = new double[3 + n];
        double dsum = 0;
        double dsumMag = 0;
        double ddot = 0;
        double ddotMag = 0;
        double wdot = 0;
        double wdotMag = 0;
        for (int i = 0; i < n; i++) {
          xd[xo + i] = x[xo + i] + 1e-9 * rng.nextDouble();
          yd[yo + i] = y[yo + i];
          wd[3 + i] = 2 * rng.nextDouble() - 1;
          dsum += xd[xo + i];
          dsumMag += Math.abs(xd[xo + i]);
          ddot += xd[xo + i] * yd[yo + i];
          ddotMag += Math.abs(xd[xo + i] * yd[yo + i]);
          wdot += wd[3 + i] * xd[xo + i] * yd[yo + i];
          wdotMag += Math.abs(wd[3 + i] * xd[xo + i] * yd[yo + i]);
        }
        assertEquals(dsum, k.sum(n, xd, xo), tol * dsumMag, at + "sum(double[])" + seedInfo());
        assertEquals(ddot, k.dot(n, xd, xo, yd, yo), tol * ddotMag, at + "dot(double[])" + seedInfo());
        assertEquals(wdot, k.dot(n, wd, 3, xd, xo, yd, yo), tol * wdotMag,
            at + "dot(w, x, y)" + seedInfo());
      }
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Kernels.dotAsDouble(3, new float[3], 1, new float[3], 0));
    assertEquals("dotAsDouble: array 'x' too short: needs 3 elements from offset 1, has 3",
        e.getMessage());
  }

  @Test
  void specialValuesBehaveTheSameEverywhere() {
    float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 30f, -30f,
        1e-30f, -1e-30f, Float.MAX_VALUE, -Float.MAX_VALUE, 88.8f, 89f, -104f};
    String[] ops = {"gelu", "tanh", "exp", "log", "leakyRelu"};
    float[][] first = null;
    for (KernelSupport k : KernelImplementations.all()) {
      // Run each op once on the whole array and once per element (the vector tail path).
      float[][] out = new float[ops.length][x.length];
      for (int o = 0; o < ops.length; o++) {
        apply(k, ops[o], x.length, x, 0, out[o], 0);
        float[] single = new float[x.length];
        for (int i = 0; i < x.length; i++) {
          apply(k, ops[o], 1, x, i, single, i);
        }
        for (int i = 0; i < x.length; i++) {
          assertSame(out[o][i], single[i], k.name() + " " + ops[o] + "(" + x[i] + ") body vs tail");
        }
      }
      // Values defined by the math must come out exactly.
      assertTrue(Float.isNaN(out[0][0]) && Float.isNaN(out[1][0]) && Float.isNaN(out[2][0])
          && Float.isNaN(out[3][0]) && Float.isNaN(out[4][0]), k.name() + ": NaN must propagate");
      assertEquals(Float.POSITIVE_INFINITY, out[0][1], k.name() + " gelu(+inf)");
      assertEquals(1f, out[1][1], k.name() + " tanh(+inf)");
      assertEquals(-1f, out[1][2], k.name() + " tanh(-inf)");
      assertEquals(Float.POSITIVE_INFINITY, out[2][1], k.name() + " exp(+inf)");
      assertEquals(0f, out[2][2], k.name() + " exp(-inf)");
      assertEquals(Float.NEGATIVE_INFINITY, out[3][3], k.name() + " log(0)");
      assertTrue(Float.isNaN(out[3][6]), k.name() + " log(-30)");
      assertEquals(Float.NEGATIVE_INFINITY, out[4][2], k.name() + " leakyRelu(-inf)");
      assertEquals(1f, out[1][5], k.name() + " tanh(30)");
      if (first == null) {
        first = out;
      } else {
        for (int o = 0; o < ops.length; o++) {
          for (int i = 0; i < x.length; i++) {
            float a = first[o][i];
            float b = out[o][i];
            boolean same = Float.isNaN(a) ? Float.isNaN(b)
                : Float.isInfinite(a) || Float.isInfinite(b) ? a == b
                : Math.abs(a - b) <= Tolerances.TRANSCENDENTAL_REL * Math.max(1, Math.abs(a));
            assertTrue(same, ops[o] + "(" + x[i] + "): scalar " + a + " vs " + k.name() + " " + b);
          }
        }
      }
    }
  }

  private static void assertSame(float a, float b, String what) {
    assertTrue(Float.isNaN(a) ? Float.isNaN(b)
        : a == b || Math.abs(a - b) <= Tolerances.TRANSCENDENTAL_REL * Math.max(1, Math.abs(a)),
        what + ": " + a + " vs " + b);
  }

  private static void apply(KernelSupport k, String op, int n, float[] x, int xo, float[] y, int yo) {
    switch (op) {
      case "gelu": k.gelu(n, x, xo, y, yo); break;
      case "tanh": k.tanh(n, x, xo, y, yo); break;
      case "exp": k.exp(n, x, xo, y, yo); break;
      case "log": k.log(n, x, xo, y, yo); break;
      case "leakyRelu": k.leakyRelu(n, SLOPE, x, xo, y, yo); break;
      default: throw new IllegalArgumentException(op);
    }
  }

  @Test
  void rowAndColumnSums() {
    int rows = 13;
    int cols = 37;
    int lda = 40;
    float[] a = randomFloats(rows * lda);
    float[] colSums = new float[cols];
    float[] rowSums = new float[rows + 1];
    java.util.Arrays.fill(rowSums, 1f);
    Kernels.columnSums(rows, cols, a, 0, lda, colSums, 0, false);
    Kernels.rowSums(rows, cols, a, 0, lda, rowSums, 1, true);
    for (int j = 0; j < cols; j++) {
      double s = 0;
      for (int i = 0; i < rows; i++) {
        s += a[i * lda + j];
      }
      assertEquals(s, colSums[j], 1e-5, "column " + j);
    }
    assertEquals(1f, rowSums[0], "rowSums wrote before its offset");
    for (int i = 0; i < rows; i++) {
      double s = 1;
      for (int j = 0; j < cols; j++) {
        s += a[i * lda + j];
      }
      assertEquals(s, rowSums[i + 1], 1e-5, "row " + i);
    }
  }

  @Test
  void gramBlocksMatchDoubleSumsAndDoNotDependOnTheBlocking() {
    for (KernelSupport k : KernelImplementations.all()) {
      for (int n : LENGTHS) {
        int a = 5;
        int b = 7;
        double[][] x = new double[a][n];
        double[][] y = new double[b][n];
        for (double[][] rows : new double[][][] {x, y}) {
          for (double[] row : rows) {
            for (int q = 0; q < n; q++) {
              row[q] = 2 * rng.nextDouble() - 1;
            }
          }
        }
        int ldo = b + 2;
        double[] out = new double[1 + a * ldo];
        java.util.Arrays.fill(out, 0.5);
        k.gram(n, x, a, y, b, out, 1, ldo);
        assertEquals(0.5, out[0], "gram wrote before its offset");
        for (int i = 0; i < a; i++) {
          for (int j = 0; j < b; j++) {
            double expected = 0.5;
            double scale = 0.5;
            for (int q = 0; q < n; q++) {
              expected += x[i][q] * y[j][q];
              scale += Math.abs(x[i][q] * y[j][q]);
            }
            double got = out[1 + i * ldo + j];
            assertEquals(expected, got, 1e-14 * scale, k.name() + " n=" + n + " (" + i + ", " + j + ")");
            // The same element alone (a 1 × 1 block) gives the same bits.
            double[] one = {0.5};
            k.gram(n, new double[][] {x[i]}, 1, new double[][] {y[j]}, 1, one, 0, 1);
            assertEquals(Double.doubleToRawLongBits(got), Double.doubleToRawLongBits(one[0]),
                k.name() + " n=" + n + " (" + i + ", " + j + ") depends on its block");
          }
          assertEquals(0.5, out[1 + i * ldo + b], "gram wrote past its block");
        }
      }
    }
  }

  @Test
  void facadeValidatesAndNamesArguments() {
    float[] x = new float[4];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Kernels.axpy(5, 1f, x, 0, new float[8], 0));
    assertEquals("axpy: array 'x' too short: needs 5 elements from offset 0, has 4", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Kernels.gelu(2, x, 3, x, 0));
    assertEquals("gelu: array 'x' too short: needs 2 elements from offset 3, has 4", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Kernels.geluBackward(4, x, 0, x, 0, new float[3], 0));
    assertEquals("geluBackward: array 'dx' too short: needs 4 elements from offset 0, has 3", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Kernels.tanh(-1, x, 0, x, 0));
    assertEquals("tanh: 'n' must be >= 0, got -1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Kernels.dot(1, x, -1, x, 0));
    assertEquals("dot: offset of 'x' must be >= 0, got -1", e.getMessage());
  }
}
