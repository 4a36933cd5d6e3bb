package org.vssf.filter.oracle;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.vssf.testing.MiniJson;

/**
 * Comparisons of Gaussian moments with a relative tolerance that stays meaningful where values pass
 * through zero, plus JSON helpers for the testdata arrays.
 *
 * <p>A covariance entry {@code P_ij} is compared relative to {@code max(|P_ij|, √(P_ii P_jj))}
 * (the entry's Cauchy–Schwarz bound); a mean entry {@code μ_i} relative to {@code max(|μ_i|, √P_ii)}
 * (its own standard deviation), using the expected covariance. Scales come from the expected values.
 */
public final class OracleAsserts {
  private OracleAsserts() {}

  /**
   * Asserts {@code actual} means and covariances ([T][m], [T][m][m]) match {@code expected} to
   * {@code rel} under the scales above.
   */
  public static void assertMoments(String what, double[][] expectedMean, double[][][] expectedCov,
      double[][] actualMean, double[][][] actualCov, double rel) {
    if (expectedMean.length != actualMean.length || expectedCov.length != actualCov.length) {
      fail(what + ": expected " + expectedMean.length + " steps, got " + actualMean.length);
    }
    for (int t = 0; t < expectedMean.length; t++) {
      assertMoments(what + " step " + t, expectedMean[t], expectedCov[t], actualMean[t], actualCov[t], rel);
    }
  }

  /** One Gaussian's mean (m) and covariance (m×m); see {@link OracleAsserts}. */
  public static void assertMoments(String what, double[] expectedMean, double[][] expectedCov,
      double[] actualMean, double[][] actualCov, double rel) {
    int m = expectedMean.length;
    if (actualMean.length != m || actualCov.length != m) {
      fail(what + ": dimension " + actualMean.length + ", expected " + m);
    }
    for (int i = 0; i < m; i++) {
      double scale = Math.max(Math.abs(expectedMean[i]), Math.sqrt(Math.abs(expectedCov[i][i])));
      check(what + " mean[" + i + "]", expectedMean[i], actualMean[i], rel * scale);
    }
    assertCov(what, expectedCov, actualCov, rel);
  }

  /** A covariance matrix alone; see {@link OracleAsserts}. */
  public static void assertCov(String what, double[][] expected, double[][] actual, double rel) {
    int m = expected.length;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double scale = Math.max(Math.abs(expected[i][j]),
            Math.sqrt(Math.abs(expected[i][i] * expected[j][j])));
        check(what + " cov[" + i + "][" + j + "]", expected[i][j], actual[i][j], rel * scale);
      }
    }
  }

  private static void check(String what, double expected, double actual, double tol) {
    double err = Math.abs(actual - expected);
    if (!(err <= tol) && !(err == 0)) {
      fail(what + ": expected " + expected + " but was " + actual + " (error " + err + " > " + tol + ")");
    }
  }

  /** A JSON array of arrays of numbers. */
  public static double[][] matrix(Object json) {
    List<?> rows = (List<?>) json;
    double[][] out = new double[rows.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = MiniJson.doubles(rows.get(i));
    }
    return out;
  }

  /** A JSON array of matrices. */
  public static double[][][] matrices(Object json) {
    List<?> list = (List<?>) json;
    double[][][] out = new double[list.size()][][];
    for (int i = 0; i < out.length; i++) {
      out[i] = matrix(list.get(i));
    }
    return out;
  }
}
