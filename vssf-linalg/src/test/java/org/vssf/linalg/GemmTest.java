package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;
import org.vssf.testing.Tolerances;

/** GEMM against a double-precision triple loop, for every implementation and transpose case. */
class GemmTest extends SeededTest {
  private static final int[] AWKWARD = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 65, 127, 129};

  /** One GEMM case with random padding, offsets, α and β, checked against the reference. */
  private void check(KernelSupport impl, boolean ta, boolean tb, int m, int n, int k, int threads) {
    int lda = Math.max(1, ta ? m : k) + rng.nextInt(3);
    int ldb = Math.max(1, tb ? k : n) + rng.nextInt(3);
    int ldc = Math.max(1, n) + rng.nextInt(3);
    int aOff = rng.nextInt(4);
    int bOff = rng.nextInt(4);
    int cOff = rng.nextInt(4);
    float[] a = randomFloats(aOff + Math.max(1, (ta ? k : m)) * Math.max(1, lda));
    float[] b = randomFloats(bOff + Math.max(1, (tb ? n : k)) * Math.max(1, ldb));
    float[] c = randomFloats(cOff + Math.max(1, m) * Math.max(1, ldc));
    float[] c0 = c.clone();
    float alpha = rng.nextBoolean() ? 1f : (float) (rng.nextDouble() * 4 - 2);
    float beta = new float[] {0f, 1f, -0.5f}[rng.nextInt(3)];
    Kernels.gemm(impl, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, threads);

    double[] expected = new double[m * n];
    double[] scale = new double[m * n];
    int[] index = new int[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        double mag = 0;
        for (int p = 0; p < k; p++) {
          double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          s += av * bv;
          mag += Math.abs(av * bv);
        }
        double cv = beta == 0f ? 0 : beta * (double) c0[cOff + i * ldc + j];
        expected[i * n + j] = alpha * s + cv;
        scale[i * n + j] = Math.abs(alpha) * mag + Math.abs(cv) + 1e-6;
        index[i * n + j] = cOff + i * ldc + j;
      }
    }
    String what = impl.name() + " gemm(" + (ta ? "T" : "N") + (tb ? "T" : "N") + ", m=" + m + ", n="
        + n + ", k=" + k + ", threads=" + threads + ")" + seedInfo();
    Tolerances.assertClose(what, expected, scale, c, 0, index, Tolerances.sumTolerance(k));
    // Padding between rows (ldc > n) and before the offset must be untouched.
    for (int i = 0; i < c.length; i++) {
      int rel = i - cOff;
      boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
      if (!inside) {
        assertEquals(c0[i], c[i], what + ": wrote outside C at " + i);
      }
    }
  }

  @Test
  void awkwardSizesAllTransposes() {
    for (KernelSupport impl : KernelImplementations.all()) {
      for (int t = 0; t < 4; t++) {
        for (int rep = 0; rep < 40; rep++) {
          int m = AWKWARD[rng.nextInt(AWKWARD.length)];
          int n = AWKWARD[rng.nextInt(AWKWARD.length)];
          int k = AWKWARD[rng.nextInt(AWKWARD.length)];
          check(impl, (t & 1) != 0, (t & 2) != 0, m, n, k, 1);
        }
      }
    }
  }

  @Test
  void sizesSpanningSeveralBlocks() {
    // Larger than one KC / MC / NC block in each dimension, odd everywhere.
    for (KernelSupport impl : KernelImplementations.all()) {
      check(impl, false, false, 301, 1100, 517, 2);
      check(impl, true, true, 150, 1033, 261, 2);
      check(impl, true, false, 1021, 37, 300, 3);
      check(impl, false, true, 77, 1021, 1021, 1);
    }
  }

  @Test
  void sizeOneAndEmptyDimensions() {
    for (KernelSupport impl : KernelImplementations.all()) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          check(impl, ta, tb, 1, 1, 1, 1);
          check(impl, ta, tb, 0, 5, 3, 1);
          check(impl, ta, tb, 5, 0, 3, 1);
          check(impl, ta, tb, 5, 3, 0, 1);
        }
      }
    }
  }

  @Test
  void resultIsBitwiseIdenticalForEveryThreadCount() {
    for (KernelSupport impl : KernelImplementations.all()) {
      int m = 203;
      int n = 611;
      int k = 300;
      float[] a = randomFloats(m * k);
      float[] b = randomFloats(k * n);
      float[] ref = null;
      for (int threads = 1; threads <= 4; threads++) {
        float[] c = new float[m * n];
        Kernels.gemm(impl, false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n, threads);
        if (ref == null) {
          ref = c;
        } else {
          assertArrayEquals(ref, c, impl.name() + ": threads=" + threads + " differs from 1");
        }
      }
      // And the tall case, split along m.
      float[] ref2 = null;
      for (int threads = 1; threads <= 3; threads++) {
        float[] c = new float[n * m];
        Kernels.gemm(impl, true, false, n, m, k, 1f, b, 0, n, a, 0, m, 0f, c, 0, m, threads);
        if (ref2 == null) {
          ref2 = c;
        } else {
          assertArrayEquals(ref2, c, impl.name() + ": tall, threads=" + threads);
        }
      }
    }
  }

  @Test
  void skinnyPathMatchesDirectPathBitwise() {
    // One thread: n = 40 takes the direct path. Three threads split n into chunks of 13–14 columns,
    // which take the transposed (skinny) path when A is transposed (an untransposed A stays on the
    // direct path, read in place). k is large enough to pass the parallel threshold.
    for (KernelSupport impl : KernelImplementations.all()) {
      int m = 30;
      int n = 40;
      int k = 14_000;
      float[] a = randomFloats(m * k);
      float[] at = new float[k * m];
      for (int i = 0; i < m; i++) {
        for (int p = 0; p < k; p++) {
          at[p * m + i] = a[i * k + p];
        }
      }
      float[] b = randomFloats(k * n);
      float[] one = new float[m * n];
      float[] three = new float[m * n];
      float[] threeT = new float[m * n];
      Kernels.gemm(impl, false, false, m, n, k, 0.5f, a, 0, k, b, 0, n, 0f, one, 0, n, 1);
      Kernels.gemm(impl, false, false, m, n, k, 0.5f, a, 0, k, b, 0, n, 0f, three, 0, n, 3);
      Kernels.gemm(impl, true, false, m, n, k, 0.5f, at, 0, m, b, 0, n, 0f, threeT, 0, n, 3);
      assertArrayEquals(one, three, impl.name() + ": chunks differ from one call");
      assertArrayEquals(one, threeT, impl.name() + ": skinny chunks differ from the direct path");
      check(impl, false, false, 300, 5, 70, 1);
      check(impl, true, true, 300, 5, 70, 1);
    }
  }

  /**
   * An untransposed A is read in place (full six-row panels) while a transposed one is packed, and
   * B packs differently when transposed; all must give the same bits. Sizes cover partial row and
   * column panels, several MC, KC and NC blocks, skinny outputs, and leading dimensions larger
   * than k.
   */
  @Test
  void inPlaceOperandsMatchPackedOperandsBitwise() {
    int[][] shapes = {{6, 32, 5}, {7, 33, 17}, {71, 40, 300}, {150, 97, 513}, {13, 5, 70},
      {300, 16, 129}, {1, 64, 9}, {48, 16, 2000}, {72, 1100, 40}, {64, 257, 600}};
    for (KernelSupport impl : KernelImplementations.all()) {
      for (int[] sh : shapes) {
        int m = sh[0];
        int n = sh[1];
        int k = sh[2];
        int lda = k + rng.nextInt(3);
        float[] a = randomFloats(m * lda);
        float[] at = new float[k * m];
        for (int i = 0; i < m; i++) {
          for (int p = 0; p < k; p++) {
            at[p * m + i] = a[i * lda + p];
          }
        }
        float[] b = randomFloats(k * n);
        float[] c0 = randomFloats(m * n);
        float[] direct = c0.clone();
        float[] packed = c0.clone();
        Kernels.gemm(impl, false, false, m, n, k, 0.75f, a, 0, lda, b, 0, n, 1f, direct, 0, n, 1);
        Kernels.gemm(impl, true, false, m, n, k, 0.75f, at, 0, m, b, 0, n, 1f, packed, 0, n, 1);
        assertArrayEquals(packed, direct, impl.name() + " m=" + m + " n=" + n + " k=" + k);
        // The same product with B given transposed.
        float[] bt = new float[n * k];
        for (int p = 0; p < k; p++) {
          for (int j = 0; j < n; j++) {
            bt[j * k + p] = b[p * n + j];
          }
        }
        float[] packedB = c0.clone();
        Kernels.gemm(impl, false, true, m, n, k, 0.75f, a, 0, lda, bt, 0, k, 1f, packedB, 0, n, 1);
        assertArrayEquals(packedB, direct, impl.name() + " B, m=" + m + " n=" + n + " k=" + k);
      }
    }
  }

  /**
   * With β = 0 the kernels store into C instead of clearing it first; over several k blocks, both
   * transposes of A, partial tiles and thread splits, that equals (up to the sign of zero) β = 1
   * on a cleared C, and never reads C (it starts as NaN).
   */
  @Test
  void betaZeroStoresTheSameSumsAsAccumulatingIntoZero() {
    int[][] shapes = {{37, 45, 600}, {6, 64, 257}, {100, 7, 300}, {13, 33, 5}};
    for (KernelSupport impl : KernelImplementations.all()) {
      for (int[] sh : shapes) {
        for (boolean ta : new boolean[] {false, true}) {
          int m = sh[0];
          int n = sh[1];
          int k = sh[2];
          float[] a = randomFloats(m * k);
          float[] b = randomFloats(k * n);
          for (int threads = 1; threads <= 2; threads++) {
            float[] stored = new float[m * n];
            java.util.Arrays.fill(stored, Float.NaN);
            float[] added = new float[m * n];
            Kernels.gemm(impl, ta, false, m, n, k, 1.5f, a, 0, ta ? m : k, b, 0, n, 0f, stored, 0,
                n, threads);
            Kernels.gemm(impl, ta, false, m, n, k, 1.5f, a, 0, ta ? m : k, b, 0, n, 1f, added, 0,
                n, threads);
            assertArrayEquals(added, stored, 0f, impl.name() + " " + m + "x" + n + "x" + k
                + " transA=" + ta + " threads=" + threads);
          }
        }
      }
    }
  }

  @Test
  void betaZeroIgnoresNanInCButNanInInputsPropagates() {
    for (KernelSupport impl : KernelImplementations.all()) {
      int m = 9;
      int n = 37;
      int k = 5;
      float[] a = randomFloats(m * k);
      float[] b = randomFloats(k * n);
      float[] c = new float[m * n];
      java.util.Arrays.fill(c, Float.NaN);
      Kernels.gemm(impl, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n, 1);
      for (float v : c) {
        assertTrue(Float.isFinite(v), impl.name() + ": beta=0 must not read C");
      }
      a[2 * k + 1] = Float.NaN; // row 2 of A
      b[3 * n + 30] = Float.POSITIVE_INFINITY; // column 30 of B
      Kernels.gemm(impl, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n, 1);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          boolean nanExpected = i == 2;
          float v = c[i * n + j];
          if (nanExpected) {
            assertTrue(Float.isNaN(v), impl.name() + ": NaN in A row 2 must reach C[2," + j + "]");
          } else if (j == 30) {
            assertTrue(Float.isInfinite(v) || Float.isNaN(v), impl.name() + ": Inf must propagate");
          } else {
            assertFalse(Float.isNaN(v), impl.name() + ": C[" + i + "," + j + "] polluted");
          }
        }
      }
    }
  }

  @Test
  void ejmlConvenienceMatchesEjml() {
    FMatrixRMaj a = new FMatrixRMaj(17, 33);
    FMatrixRMaj b = new FMatrixRMaj(33, 9);
    System.arraycopy(randomFloats(a.data.length), 0, a.data, 0, a.data.length);
    System.arraycopy(randomFloats(b.data.length), 0, b.data, 0, b.data.length);
    FMatrixRMaj ours = Kernels.mult(a, b, null);
    FMatrixRMaj theirs = new FMatrixRMaj(17, 9);
    org.ejml.dense.row.CommonOps_FDRM.mult(a, b, theirs);
    for (int i = 0; i < theirs.data.length; i++) {
      assertEquals(theirs.data[i], ours.data[i], 1e-5, "element " + i);
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Kernels.mult(a, a, null));
    assertEquals("mult: [17,33] x [17,33]: inner dimensions differ", e.getMessage());
  }

  @Test
  void badArgumentsNameTheArgument() {
    float[] a = new float[6];
    float[] b = new float[6];
    float[] c = new float[3];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Kernels.gemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2));
    assertEquals("gemm: array 'c' too short: needs 4 elements from offset 0, has 3", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Kernels.gemm(false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, new float[4], 0, 2));
    assertEquals("gemm: leading dimension of 'a' (2) is smaller than its 3 columns", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Kernels.gemm(false, false, -1, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2));
    assertEquals("gemm: 'm' must be >= 0, got -1", e.getMessage());
    float[] shared = new float[16];
    e = assertThrows(IllegalArgumentException.class,
        () -> Kernels.gemm(false, false, 2, 2, 2, 1f, shared, 0, 2, shared, 8, 2, 0f, shared, 2, 2));
    assertEquals("gemm: output 'c' overlaps input 'a' in the same array", e.getMessage());
    Kernels.gemm(false, false, 2, 2, 2, 1f, shared, 0, 2, shared, 4, 2, 0f, shared, 8, 2); // disjoint: fine
    NullPointerException npe = assertThrows(NullPointerException.class,
        () -> Kernels.gemm(false, false, 2, 2, 3, 1f, null, 0, 3, b, 0, 2, 0f, c, 0, 2));
    assertEquals("gemm: array 'a' is null", npe.getMessage());
  }
}
