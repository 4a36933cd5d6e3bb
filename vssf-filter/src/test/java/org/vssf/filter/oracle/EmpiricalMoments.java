package org.vssf.filter.oracle;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Sample moments of vectors and a Monte-Carlo check that samples come from a Gaussian with given
 * moments (MATH.md identity 3: backward samples match the RTS smoother).
 *
 * <p>For n independent draws from {@code N(μ, Σ)}:
 *
 * <ul>
 *   <li>the sample mean's component i has standard error {@code √(Σ_ii / n)};
 *   <li>the sample covariance's entry (i, j) has standard error {@code √((Σ_ii Σ_jj + Σ_ij²) / n)}
 *       (Gaussian fourth moments; the n−1 vs n difference is negligible at the sizes used).
 * </ul>
 *
 * {@link #assertMatches} fails if any component is more than {@code k} standard errors away. It
 * checks m + m(m+1)/2 statistics at once, so choose k for the family: with k = 5 a correct sampler
 * fails with probability about 6e-7 per statistic.
 */
public final class EmpiricalMoments {
  private EmpiricalMoments() {}

  /** Sample mean of {@code samples[n][m]}. */
  public static double[] mean(double[][] samples) {
    int n = samples.length;
    int m = samples[0].length;
    double[] mean = new double[m];
    for (double[] s : samples) {
      for (int i = 0; i < m; i++) {
        mean[i] += s[i];
      }
    }
    for (int i = 0; i < m; i++) {
      mean[i] /= n;
    }
    return mean;
  }

  /** Unbiased sample covariance (divisor n−1) of {@code samples[n][m]}, n ≥ 2. */
  public static double[][] covariance(double[][] samples) {
    int n = samples.length;
    if (n < 2) {
      throw new IllegalArgumentException("need at least 2 samples, got " + n);
    }
    int m = samples[0].length;
    double[] mean = mean(samples);
    double[][] cov = new double[m][m];
    for (double[] s : samples) {
      for (int i = 0; i < m; i++) {
        double di = s[i] - mean[i];
        for (int j = 0; j < m; j++) {
          cov[i][j] += di * (s[j] - mean[j]);
        }
      }
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        cov[i][j] /= n - 1;
      }
    }
    return cov;
  }

  /** The vectors of step t of trajectory samples {@code [n][T][m]}, as {@code [n][m]}. */
  public static double[][] atStep(double[][][] trajectories, int t) {
    double[][] out = new double[trajectories.length][];
    for (int s = 0; s < trajectories.length; s++) {
      out[s] = trajectories[s][t];
    }
    return out;
  }

  /**
   * The pairs {@code (z_t, z_{t+1})} of trajectory samples {@code [n][T][m]}, as {@code [n][2m]};
   * compare with {@link KalmanReference.Result#pairMean} / {@link KalmanReference.Result#pairCov}.
   */
  public static double[][] pairAtStep(double[][][] trajectories, int t) {
    double[][] out = new double[trajectories.length][];
    for (int s = 0; s < trajectories.length; s++) {
      int m = trajectories[s][t].length;
      out[s] = new double[2 * m];
      System.arraycopy(trajectories[s][t], 0, out[s], 0, m);
      System.arraycopy(trajectories[s][t + 1], 0, out[s], m, m);
    }
    return out;
  }

  /**
   * Asserts the sample mean and covariance of {@code samples[n][m]} match {@code N(mean, cov)}
   * within {@code k} Monte-Carlo standard errors (see the class comment). The message lists every
   * offending component with its observed and expected value, its error in standard errors, and n.
   */
  public static void assertMatches(String what, double[][] samples, double[] mean, double[][] cov,
      double k) {
    int n = samples.length;
    int m = mean.length;
    if (n < 2 || samples[0].length != m) {
      throw new IllegalArgumentException(what + ": need ≥ 2 samples of dimension " + m);
    }
    double[] sm = mean(samples);
    double[][] sc = covariance(samples);
    StringBuilder bad = new StringBuilder();
    for (int i = 0; i < m; i++) {
      double se = Math.sqrt(cov[i][i] / n);
      double z = (sm[i] - mean[i]) / se;
      if (!(Math.abs(z) <= k)) {
        bad.append(String.format("%n  mean[%d]: sample %.6g, expected %.6g, %.2f standard errors (se %.3g)",
            i, sm[i], mean[i], z, se));
      }
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j <= i; j++) {
        double se = Math.sqrt((cov[i][i] * cov[j][j] + cov[i][j] * cov[i][j]) / n);
        double z = (sc[i][j] - cov[i][j]) / se;
        if (!(Math.abs(z) <= k)) {
          bad.append(String.format("%n  cov[%d][%d]: sample %.6g, expected %.6g, %.2f standard errors (se %.3g)",
              i, j, sc[i][j], cov[i][j], z, se));
        }
      }
    }
    if (bad.length() > 0) {
      fail(what + ": " + n + " samples do not match the expected Gaussian moments within " + k
          + " standard errors:" + bad);
    }
  }

  /**
   * {@link #assertMatches} at every step of trajectory samples {@code [n][T][m]} against per-step
   * moments {@code means[T][m]}, {@code covs[T][m][m]} (e.g. {@link KalmanReference.Result}'s
   * smoothed moments).
   */
  public static void assertMarginalsMatch(String what, double[][][] trajectories, double[][] means,
      double[][][] covs, double k) {
    for (int t = 0; t < means.length; t++) {
      assertMatches(what + " step " + t, atStep(trajectories, t), means[t], covs[t], k);
    }
  }
}
