package org.vssf.filter.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;

/** Random cases are stable, well conditioned, reproducible and simulated from the stated model. */
class LgssmCaseTest extends SeededTest {

  @RepeatedTest(20)
  void randomSystemsAreStableAndWellConditioned() {
    int m = 1 + rng.nextInt(6);
    LgssmCase c = LgssmCase.random(rng, m, rng.nextInt(3), new int[] {1 + rng.nextInt(3), 2}, 3, 0.2);
    EigenDecomposition eig = new EigenDecomposition(MatrixUtils.createRealMatrix(c.a()));
    for (int i = 0; i < m; i++) {
      double mod = Math.hypot(eig.getRealEigenvalue(i), eig.getImagEigenvalue(i));
      assertTrue(mod < 0.95, "|λ| = " + mod + seedInfo());
    }
    assertTrue(Dense.spectralNorm(c.a()) < 0.95 + 1e-12, seedInfo());
    assertWellConditioned("Sz", c.sz());
    assertWellConditioned("Sw", c.sw());
    for (int j = 0; j < c.sensorCount(); j++) {
      assertWellConditioned("R_" + j, c.r(j));
    }
  }

  private void assertWellConditioned(String what, double[][] s) {
    double[] ev = new EigenDecomposition(MatrixUtils.createRealMatrix(s)).getRealEigenvalues();
    double lo = Double.POSITIVE_INFINITY;
    double hi = 0;
    for (double e : ev) {
      lo = Math.min(lo, e);
      hi = Math.max(hi, e);
    }
    assertTrue(lo > 0 && hi / lo <= 10 + 1e-9, what + " eigenvalues " + lo + " .. " + hi + seedInfo());
    for (int i = 0; i < s.length; i++) {
      for (int j = 0; j < s.length; j++) {
        assertEquals(s[i][j], s[j][i], 0.0, what + " symmetric");
      }
    }
  }

  @Test
  void sameSeedSameCase() {
    LgssmCase a = LgssmCase.random(new SplittableRandom(42), 3, 2, new int[] {2, 1}, 6, 0.3);
    LgssmCase b = LgssmCase.random(new SplittableRandom(42), 3, 2, new int[] {2, 1}, 6, 0.3);
    assertEquals(KalmanReference.run(a).logLik, KalmanReference.run(b).logLik, 0.0);
    assertArrayEquals(a.latent()[5], b.latent()[5], 0.0);
    assertEquals(5, a.controlCount(), "random cases hold T−1 controls");
  }

  @Test
  void missingProbabilityZeroAndOne() {
    LgssmCase all = LgssmCase.random(rng, 2, 1, new int[] {1, 2}, 10, 0.0);
    LgssmCase none = LgssmCase.random(rng, 2, 1, new int[] {1, 2}, 10, 1.0);
    for (int t = 0; t < 10; t++) {
      for (int j = 0; j < 2; j++) {
        assertTrue(all.present(t, j));
        assertFalse(none.present(t, j));
      }
    }
    LgssmCase fewer = all.withMissing(1, 0, 3);
    assertFalse(fewer.present(0, 1));
    assertFalse(fewer.present(3, 1));
    assertTrue(fewer.present(0, 0));
    assertTrue(all.present(0, 1), "withMissing leaves the original alone");
  }

  @Test
  void noControlsAndNoSensors() {
    LgssmCase c = LgssmCase.random(rng, 3, 0, new int[] {2}, 5, 0.2);
    assertEquals(0, c.p());
    assertEquals(3, c.b().length);
    KalmanReference.Result r = KalmanReference.run(c);
    assertFalse(Double.isNaN(r.logLik));
    assertEquals(BruteForceGaussian.condition(c).logLik, r.logLik, 1e-9 * Math.abs(r.logLik));
    LgssmCase blind = LgssmCase.random(rng, 2, 1, new int[0], 3, 0.0);
    assertEquals(0.0, KalmanReference.run(blind).logLik, 0.0);
    assertNotNull(blind.latent());
  }

  /**
   * The simulator and the filter agree on the model (in particular on u indexing: a shift by one
   * step would inflate the innovations): over a long simulated case the whitened innovations
   * {@code L⁻¹ e} have mean square 1 within a few standard errors ({@code √(2/N)}).
   */
  @Test
  void whitenedInnovationsOfSimulatedDataHaveUnitVariance() {
    LgssmCase c = LgssmCase.random(rng, 3, 2, new int[] {2, 1}, 3000, 0.2);
    KalmanReference.Result r = KalmanReference.run(c);
    double sum = 0;
    int count = 0;
    for (int t = 0; t < c.steps(); t++) {
      KalmanReference.Stacked obs = KalmanReference.Stacked.at(c, t);
      if (obs.dim == 0) {
        continue;
      }
      double[][] s = Dense.add(Dense.mul(Dense.mul(obs.c, r.predictedCov[t]), Dense.transpose(obs.c, c.m())), obs.r);
      double[] e = Dense.sub(obs.y, Dense.mul(obs.c, r.predictedMean[t]));
      double[] w = Dense.forward(Dense.cholesky(s), e);
      sum += Dense.dot(w, w);
      count += obs.dim;
    }
    double meanSquare = sum / count;
    assertEquals(1.0, meanSquare, 5 * Math.sqrt(2.0 / count), "N = " + count + seedInfo());
  }

  @Test
  void constructorRejectsBadShapes() {
    double[][] i2 = Dense.identity(2);
    double[][] b = {{1}, {0}};
    double[][][] c = {{{1, 0}}};
    double[][][] r = {{{1}}};
    double[][][] x = {{{0.5}}, {null}};
    assertNotNull(new LgssmCase(i2, b, i2, i2, c, r, new double[][] {{0}}, x, null));
    assertThrows(IllegalArgumentException.class,
        () -> new LgssmCase(i2, b, i2, i2, c, r, new double[][] {{0}, {0}, {0}}, x, null), "3 controls for T = 2");
    assertThrows(IllegalArgumentException.class,
        () -> new LgssmCase(i2, b, i2, i2, c, r, new double[][] {{0, 1}}, x, null), "u of length 2, p = 1");
    assertThrows(IllegalArgumentException.class,
        () -> new LgssmCase(i2, b, i2, i2, c, r, new double[][] {{0}}, new double[][][] {{{0.5, 1}}, {null}}, null),
        "observation of the wrong length");
    assertThrows(IllegalArgumentException.class,
        () -> new LgssmCase(i2, b, Dense.identity(3), i2, c, r, new double[][] {{0}}, x, null), "Sz 3×3");
  }

  @Test
  void denseRoutines() {
    double[][] s = LgssmCase.randomSpd(rng, 5, 0.1, 3);
    double[][] l = Dense.cholesky(s);
    double[][] back = Dense.mul(l, Dense.transpose(l));
    for (int i = 0; i < 5; i++) {
      assertArrayEquals(s[i], back[i], 1e-13);
    }
    double[] bvec = LgssmCase.gaussianVector(rng, 5);
    assertArrayEquals(bvec, Dense.mul(s, Dense.cholSolve(l, bvec)), 1e-12);
    double[] ev = Dense.symmetricEigenvalues(s);
    double[] ref = new EigenDecomposition(MatrixUtils.createRealMatrix(s)).getRealEigenvalues();
    java.util.Arrays.sort(ref);
    assertArrayEquals(ref, ev, 1e-12);
    double logDet = 0;
    for (double e : ref) {
      logDet += Math.log(e);
    }
    assertEquals(logDet, Dense.logDet(l), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> Dense.cholesky(new double[][] {{1, 2}, {2, 1}}));
  }
}
