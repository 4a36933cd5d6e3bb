package org.vssf.filter.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;

/** {@link EmpiricalMoments} accepts exact samplers and rejects shifted or wrongly coupled ones. */
class EmpiricalMomentsTest extends SeededTest {
  static final double K = 5;

  @Test
  void sampleMomentsOfASmallSet() {
    double[][] s = {{1, 2}, {3, 6}, {5, 4}};
    assertArrayEquals(new double[] {3, 4}, EmpiricalMoments.mean(s), 1e-15);
    double[][] cov = EmpiricalMoments.covariance(s);
    assertArrayEquals(new double[] {4, 2}, cov[0], 1e-15);
    assertArrayEquals(new double[] {2, 4}, cov[1], 1e-15);
  }

  @Test
  void samplesFromTheGaussianPass() {
    double[] mean = {1.5, -2, 0.25};
    double[][] cov = LgssmCase.randomSpd(rng, 3, 0.2, 2);
    double[][] s = draw(mean, cov, 20000);
    assertDoesNotThrow(() -> EmpiricalMoments.assertMatches("exact", s, mean, cov, K), seedInfo());
  }

  @Test
  void aShiftedMeanFails() {
    double[] mean = {1.5, -2, 0.25};
    double[][] cov = LgssmCase.randomSpd(rng, 3, 0.2, 2);
    int n = 20000;
    double[] shifted = mean.clone();
    shifted[1] += 10 * Math.sqrt(cov[1][1] / n); // ten standard errors
    double[][] s = draw(shifted, cov, n);
    AssertionError e = assertThrows(AssertionError.class,
        () -> EmpiricalMoments.assertMatches("shifted", s, mean, cov, K), seedInfo());
    assertTrue(e.getMessage().contains("mean[1]"), e.getMessage());
  }

  @Test
  void anInflatedCovarianceFails() {
    double[] mean = {0, 0};
    double[][] cov = LgssmCase.randomSpd(rng, 2, 0.2, 2);
    double[][] s = draw(mean, Dense.scale(1.2, cov), 20000);
    AssertionError e = assertThrows(AssertionError.class,
        () -> EmpiricalMoments.assertMatches("inflated", s, mean, cov, K), seedInfo());
    assertTrue(e.getMessage().contains("cov[0][0]"), e.getMessage());
  }

  /**
   * The intended use (MATH.md identity 3): exact smoothing-posterior trajectories, here drawn from
   * the brute-force joint Gaussian, match the RTS marginals and pair moments; the same draws with
   * steps shuffled across trajectories keep every marginal but lose the coupling, and the pair
   * check catches it.
   */
  @Test
  void exactPosteriorTrajectoriesMatchTheSmootherAndShuffledOnesDoNot() {
    int n = 20000;
    LgssmCase c;
    KalmanReference.Result ref;
    do { // a case whose steps are coupled strongly enough for the shuffle to be visible at any seed
      c = LgssmCase.random(rng, 2, 1, new int[] {1, 2}, 4, 0.3);
      ref = KalmanReference.run(c);
    } while (maxCrossZ(ref, n) < 4 * K);
    BruteForceGaussian post = BruteForceGaussian.condition(c);
    double[][] flat = draw(post.mean, post.cov, n);
    double[][][] traj = new double[n][c.steps()][c.m()];
    for (int s = 0; s < n; s++) {
      for (int t = 0; t < c.steps(); t++) {
        System.arraycopy(flat[s], t * c.m(), traj[s][t], 0, c.m());
      }
    }
    EmpiricalMoments.assertMarginalsMatch("exact", traj, ref.smoothedMean, ref.smoothedCov, K);
    for (int t = 0; t + 1 < c.steps(); t++) {
      EmpiricalMoments.assertMatches("exact pair " + t, EmpiricalMoments.pairAtStep(traj, t),
          ref.pairMean(t), ref.pairCov(t), K);
    }

    double[][][] shuffled = new double[n][c.steps()][];
    for (int t = 0; t < c.steps(); t++) {
      for (int s = 0; s < n; s++) {
        shuffled[s][t] = traj[(s + 7919 * t) % n][t];
      }
    }
    EmpiricalMoments.assertMarginalsMatch("shuffled", shuffled, ref.smoothedMean, ref.smoothedCov, K);
    KalmanReference.Result r = ref;
    int steps = c.steps();
    assertThrows(AssertionError.class, () -> {
      for (int t = 0; t + 1 < steps; t++) {
        EmpiricalMoments.assertMatches("shuffled pair " + t, EmpiricalMoments.pairAtStep(shuffled, t),
            r.pairMean(t), r.pairCov(t), K);
      }
    }, "decoupled steps must fail the pair check" + seedInfo());
  }

  /** Largest |Cov(z_{t+1}, z_t)_ij| in standard errors of a sample covariance of n draws. */
  private static double maxCrossZ(KalmanReference.Result r, int n) {
    double best = 0;
    for (int t = 0; t < r.smoothedCrossCov.length; t++) {
      double[][] pc = r.pairCov(t);
      int m = r.smoothedMean[t].length;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          double v = pc[m + i][j];
          double se = Math.sqrt((pc[m + i][m + i] * pc[j][j] + v * v) / n);
          best = Math.max(best, Math.abs(v) / se);
        }
      }
    }
    return best;
  }

  private double[][] draw(double[] mean, double[][] cov, int n) {
    double[][] l = Dense.cholesky(cov);
    double[][] out = new double[n][];
    for (int s = 0; s < n; s++) {
      out[s] = Dense.add(mean, Dense.mul(l, LgssmCase.gaussianVector(rng, mean.length)));
    }
    return out;
  }
}
