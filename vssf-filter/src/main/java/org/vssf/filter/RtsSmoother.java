package org.vssf.filter;

import java.util.List;
import java.util.SplittableRandom;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.linalg.NotPositiveDefiniteException;

/**
 * Evaluation on top of the filter, in double precision: the Rauch–Tung–Striebel smoother
 *
 * <pre>
 *   μ^s_T = μ_{T|T},  P^s_T = P_{T|T}
 *   t < T:  P_{t+1|t} = A P_{t|t} Aᵀ + Σw,   J_t = P_{t|t} Aᵀ P_{t+1|t}⁻¹ (by Cholesky solves)
 *           μ^s_t = μ_{t|t} + J_t (μ^s_{t+1} − A μ_{t|t} − B u_t)
 *           P^s_t = P_{t|t} + J_t (P^s_{t+1} − P_{t+1|t}) J_tᵀ
 * </pre>
 *
 * and, for models whose sensors are all linear, the exact marginal log-likelihood {@code log p(X |
 * u)} (MATH.md identity 1: any single-sample ELBO equals it).
 */
public final class RtsSmoother {
  private RtsSmoother() {}

  /** Smoothed moments: {@code mean[b][t][i]}, {@code cov[b][t][i·m + j]}. */
  public static final class Result {
    /** Smoothed means, [B][T][m]. */
    public final double[][][] mean;
    /** Smoothed covariances, [B][T][m·m] row-major. */
    public final double[][][] cov;

    Result(double[][][] mean, double[][][] cov) {
      this.mean = mean;
      this.cov = cov;
    }
  }

  /** Smooths a filter result (controls {@code [B, T−1, p]} or {@code null} when p = 0). */
  public static Result smooth(LinearGaussianDynamics dynamics, FilterResult filter, Tensor controls) {
    int steps = filter.steps();
    int m = dynamics.latentSize();
    int p = dynamics.controlSize();
    int b = filter.filteredMean(0).dim(0);
    InformationFilter.checkControls(dynamics, controls, b, steps);
    float[] a = dynamics.dynamicsMatrix().data();
    float[] bm = p == 0 ? null : dynamics.controlMatrix().data();
    float[] sw;
    float[][] mu = new float[steps][];
    float[][] pf = new float[steps][];
    try (Tape.Scope noGrad = Tape.noGrad()) {
      sw = dynamics.processCov().data();
      for (int t = 0; t < steps; t++) {
        mu[t] = filter.filteredMean(t).data();
        pf[t] = filter.filteredCov(t).data();
      }
    }
    float[] u = controls == null ? null : controls.data();
    double[][][] mean = new double[b][steps][m];
    double[][][] cov = new double[b][steps][m * m];
    double[] pred = new double[m * m];
    double[] predMean = new double[m];
    double[] l = new double[m * m];
    double[] jt = new double[m * m]; // Jᵀ = P_pred⁻¹ A P_t
    double[] tmp = new double[m * m];
    for (int s = 0; s < b; s++) {
      for (int i = 0; i < m; i++) {
        mean[s][steps - 1][i] = mu[steps - 1][s * m + i];
      }
      for (int i = 0; i < m * m; i++) {
        cov[s][steps - 1][i] = pf[steps - 1][s * m * m + i];
      }
      for (int t = steps - 2; t >= 0; t--) {
        int mo = s * m;
        int co = s * m * m;
        // tmp = A P_t ; pred = tmp Aᵀ + Σw ; predMean = A μ_t + B u_t
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < m; j++) {
            double v = 0;
            for (int k = 0; k < m; k++) {
              v += a[i * m + k] * (double) pf[t][co + k * m + j];
            }
            tmp[i * m + j] = v;
          }
          double v = 0;
          for (int k = 0; k < m; k++) {
            v += a[i * m + k] * (double) mu[t][mo + k];
          }
          for (int k = 0; k < p; k++) {
            v += bm[i * p + k] * (double) u[(s * (steps - 1) + t) * p + k];
          }
          predMean[i] = v;
        }
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < m; j++) {
            double v = sw[i * m + j];
            for (int k = 0; k < m; k++) {
              v += tmp[i * m + k] * a[j * m + k];
            }
            pred[i * m + j] = v;
          }
        }
        // Jᵀ = P_pred⁻¹ (A P_t): Cholesky solve column by column
        try {
          SmallDense.cholesky("predictedCov", s, pred, l, m);
        } catch (NotPositiveDefiniteException e) {
          throw new NotPositiveDefiniteException("predictedCov (step " + t + ")", e.batchIndex(),
              e.pivot(), e.value());
        }
        System.arraycopy(tmp, 0, jt, 0, m * m);
        for (int col = 0; col < m; col++) {
          SmallDense.solveColumn(l, jt, col, m);
        }
        // μ^s_t = μ_t + J (μ^s_{t+1} − predMean); P^s_t = P_t + J (P^s_{t+1} − P_pred) Jᵀ
        double[] nextMean = mean[s][t + 1];
        double[] nextCov = cov[s][t + 1];
        for (int i = 0; i < m; i++) {
          double v = mu[t][mo + i];
          for (int k = 0; k < m; k++) {
            v += jt[k * m + i] * (nextMean[k] - predMean[k]);
          }
          mean[s][t][i] = v;
        }
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < m; j++) {
            double v = 0;
            for (int k = 0; k < m; k++) {
              v += (nextCov[i * m + k] - pred[i * m + k]) * jt[k * m + j]; // tmp = (P^s_{t+1} − P_pred)·Jᵀ
            }
            tmp[i * m + j] = v;
          }
        }
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < m; j++) {
            double v = pf[t][co + i * m + j];
            for (int k = 0; k < m; k++) {
              v += jt[k * m + i] * tmp[k * m + j]; // + J·tmp
            }
            cov[s][t][i * m + j] = v;
          }
        }
      }
    }
    return new Result(mean, cov);
  }

  /**
   * The exact marginal log-likelihood {@code log p(X | u)} per sequence for models whose sensors
   * are all {@link LinearSensor}s, as a one-sample ELBO (exact for every sample, MATH.md identity 1).
   *
   * @throws IllegalArgumentException if a sensor is not linear (the ELBO is then only a bound)
   */
  public static float[] marginalLogLik(LinearGaussianDynamics dynamics, List<Sensor> sensors,
      List<Tensor> observations, List<Tensor> masks, Tensor controls) {
    for (int j = 0; j < sensors.size(); j++) {
      if (!(sensors.get(j) instanceof LinearSensor)) {
        throw new IllegalArgumentException("marginalLogLik: sensor " + j + " ("
            + sensors.get(j).getClass().getSimpleName() + ") is not linear; the exact likelihood needs"
            + " linear-Gaussian sensors");
      }
    }
    try (Tape.Scope noGrad = Tape.noGrad()) {
      FilterResult r = InformationFilter.run(dynamics, sensors, observations, masks, controls);
      BackwardSampler.Samples s = BackwardSampler.sample(dynamics, r, controls, 1, new SplittableRandom(0));
      return Elbo.compute(dynamics, sensors, observations, masks, controls, s, 1f).elbo.data().clone();
    }
  }
}
