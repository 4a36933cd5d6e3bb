package org.vssf.filter;

import java.util.List;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;

/**
 * What the paper measures (MATH.md "What is measured") plus calibration, for filtering and
 * smoothing: on the chosen state components (e.g. θ, or (x, y)), the mean squared error of the
 * posterior mean against the true state, the Gaussian negative log-likelihood of the true state
 * {@code ½ log(2π σ²) + (z − μ)²/(2σ²)}, and the fraction of true values within 2σ (≈ 0.954 when
 * calibrated). Smoothing uses the RTS smoother on the filter result.
 */
public final class Evaluation {
  private Evaluation() {}

  /** The metrics, averaged over sequences, steps and the chosen components. */
  public static final class Metrics {
    /** MSE of μ_{t|t}. */
    public final double filterMse;
    /** MSE of the smoothed mean. */
    public final double smootherMse;
    /** NLL of the truth under the filtering marginals. */
    public final double filterNll;
    /** NLL of the truth under the smoothing marginals. */
    public final double smootherNll;
    /** Fraction of truths within 2σ of the filtering mean. */
    public final double filterCoverage2Sigma;
    /** Fraction of truths within 2σ of the smoothed mean. */
    public final double smootherCoverage2Sigma;

    Metrics(double[] v) {
      filterMse = v[0];
      smootherMse = v[1];
      filterNll = v[2];
      smootherNll = v[3];
      filterCoverage2Sigma = v[4];
      smootherCoverage2Sigma = v[5];
    }
  }

  /**
   * Evaluates the model on sequences with known states {@code truth [B, T, m]} over the state
   * components {@code components} (indices into 0..m−1).
   */
  public static Metrics evaluate(LinearGaussianDynamics dynamics, List<Sensor> sensors,
      List<Tensor> observations, List<Tensor> masks, Tensor controls, Tensor truth, int[] components) {
    try (Tape.Scope noGrad = Tape.noGrad()) {
      FilterResult f = InformationFilter.run(dynamics, sensors, observations, masks, controls);
      return evaluate(dynamics, f, controls, truth, components);
    }
  }

  /** As above for a filter already run (its means are then not computed twice). */
  public static Metrics evaluate(LinearGaussianDynamics dynamics, FilterResult f, Tensor controls, Tensor truth,
      int[] components) {
    int m = dynamics.latentSize();
    int[] ts = truth.shape();
    if (ts.length != 3 || ts[2] != m) {
      throw new IllegalArgumentException("Evaluation: truth must be [B, T, " + m + "], got "
          + java.util.Arrays.toString(ts));
    }
    if (components.length == 0) {
      throw new IllegalArgumentException("Evaluation: no state components chosen");
    }
    for (int c : components) {
      if (c < 0 || c >= m) {
        throw new IllegalArgumentException("Evaluation: component " + c + " outside 0.." + (m - 1));
      }
    }
    int b = ts[0];
    int steps = ts[1];
    float[] z = truth.data();
    double[] acc = new double[6];
    try (Tape.Scope noGrad = Tape.noGrad()) {
      if (f.steps() != steps || f.filteredMean(0).dim(0) != b) {
        throw new IllegalArgumentException("Evaluation: truth " + java.util.Arrays.toString(ts)
            + " does not match the observations' batch and steps");
      }
      RtsSmoother.Result s = RtsSmoother.smooth(dynamics, f, controls);
      for (int t = 0; t < steps; t++) {
        float[] mu = f.filteredMean(t).data();
        float[] p = f.filteredCov(t).data();
        for (int seq = 0; seq < b; seq++) {
          for (int c : components) {
            double truthValue = z[(seq * steps + t) * m + c];
            add(acc, 0, truthValue, mu[seq * m + c], p[(seq * m + c) * m + c]);
            add(acc, 1, truthValue, s.mean[seq][t][c], s.cov[seq][t][c * m + c]);
          }
        }
      }
    }
    double n = (double) b * steps * components.length;
    for (int i = 0; i < acc.length; i++) {
      acc[i] /= n;
    }
    return new Metrics(acc);
  }

  /** Adds squared error, NLL and 2σ hit of one value to filter (which = 0) or smoother (1) slots. */
  private static void add(double[] acc, int which, double truth, double mean, double var) {
    double d = truth - mean;
    acc[which] += d * d;
    acc[2 + which] += 0.5 * Math.log(2 * Math.PI * var) + d * d / (2 * var);
    acc[4 + which] += Math.abs(d) <= 2 * Math.sqrt(var) ? 1 : 0;
  }
}
