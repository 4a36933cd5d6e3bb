package org.vssf.filter.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vssf.testing.SeededTest;

/**
 * The recursive oracle ({@link KalmanReference}) against the brute-force joint Gaussian
 * ({@link BruteForceGaussian}) on random small cases with two sensors and missing observations:
 * log-likelihood, filtered, smoothed and lag-one cross moments.
 */
class BruteForceGaussianTest extends SeededTest {
  static final double REL = 1e-9;

  @RepeatedTest(40)
  void recursionMatchesConditioningTheJointGaussian() {
    int m = 1 + rng.nextInt(3);
    int p = rng.nextInt(3);
    int steps = 2 + rng.nextInt(4);
    int[] dims = {1 + rng.nextInt(2), 1 + rng.nextInt(3)};
    LgssmCase c = LgssmCase.random(rng, m, p, dims, steps, 0.35);
    String info = " (m=" + m + " p=" + p + " T=" + steps + ")" + seedInfo();
    KalmanReference.Result ref = KalmanReference.run(c);
    BruteForceGaussian joint = BruteForceGaussian.condition(c);

    assertEquals(joint.logLik, ref.logLik, REL * Math.max(1, Math.abs(joint.logLik)), "log-likelihood" + info);
    OracleAsserts.assertMoments("smoothed" + info, joint.means(), joint.covs(), ref.smoothedMean,
        ref.smoothedCov, REL);
    for (int t = 0; t + 1 < steps; t++) {
      OracleAsserts.assertMoments("pair " + t + info, ref.pairMean(t),
          pairCov(joint, t), ref.pairMean(t), ref.pairCov(t), REL);
    }
    double prefix = 0;
    for (int t = 0; t < steps; t++) {
      BruteForceGaussian upTo = BruteForceGaussian.condition(c, t + 1);
      OracleAsserts.assertMoments("filtered step " + t + info, upTo.mean(t), upTo.cov(t, t),
          ref.filteredMean[t], ref.filteredCov[t], REL);
      prefix += ref.stepLogLik[t];
      assertEquals(upTo.logLik, prefix, REL * Math.max(1, Math.abs(prefix)), "prefix log-lik " + t + info);
    }
  }

  /**
   * MATH.md identity 1 on the oracles themselves: for any trajectory z,
   * {@code log p(x, z | u) − log p(z | x, u) = log p(x | u)}.
   */
  @RepeatedTest(20)
  void jointMinusPosteriorIsTheLogLikelihoodForAnyTrajectory() {
    int m = 1 + rng.nextInt(3);
    int steps = 2 + rng.nextInt(4);
    LgssmCase c = LgssmCase.random(rng, m, rng.nextInt(3), new int[] {1 + rng.nextInt(2), 2}, steps, 0.3);
    double logLik = KalmanReference.run(c).logLik;
    BruteForceGaussian post = BruteForceGaussian.condition(c);
    for (int rep = 0; rep < 5; rep++) {
      double[][] z = LgssmCase.gaussianMatrix(rng, steps, m);
      double diff = c.logJoint(z) - post.logDensity(z);
      assertEquals(logLik, diff, 1e-8 * Math.max(1, Math.abs(c.logJoint(z))), "identity 1" + seedInfo());
    }
  }

  static java.util.List<String> testdata() {
    return LgssmCase.TESTDATA;
  }

  /** The brute force also reproduces the external testdata (as its README says it was checked). */
  @ParameterizedTest
  @MethodSource("testdata")
  void bruteForceMatchesTestdata(String name) {
    LgssmCase c = LgssmCase.resource(name);
    KalmanReference.Result ref = KalmanReference.run(c);
    BruteForceGaussian joint = BruteForceGaussian.condition(c);
    assertEquals(ref.logLik, joint.logLik, 1e-9 * Math.abs(ref.logLik), name);
    OracleAsserts.assertMoments(name, ref.smoothedMean, ref.smoothedCov, joint.means(), joint.covs(), 1e-8);
  }

  @Test
  void noObservationsGiveThePrior() {
    LgssmCase c = LgssmCase.random(rng, 2, 1, new int[] {1}, 4, 1.0);
    KalmanReference.Result ref = KalmanReference.run(c);
    assertEquals(0.0, ref.logLik, 0.0);
    for (int t = 0; t < c.steps(); t++) {
      OracleAsserts.assertMoments("prior step " + t, ref.predictedMean[t], ref.predictedCov[t],
          ref.smoothedMean[t], ref.smoothedCov[t], 1e-12);
    }
    BruteForceGaussian joint = BruteForceGaussian.condition(c);
    OracleAsserts.assertMoments("prior", ref.smoothedMean, ref.smoothedCov, joint.means(), joint.covs(), 1e-12);
  }

  private static double[][] pairCov(BruteForceGaussian g, int t) {
    double[][] a = g.cov(t, t);
    double[][] b = g.cov(t, t + 1);
    double[][] cc = g.cov(t + 1, t);
    double[][] d = g.cov(t + 1, t + 1);
    int m = a.length;
    double[][] out = new double[2 * m][2 * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        out[i][j] = a[i][j];
        out[i][m + j] = b[i][j];
        out[m + i][j] = cc[i][j];
        out[m + i][m + j] = d[i][j];
      }
    }
    return out;
  }
}
