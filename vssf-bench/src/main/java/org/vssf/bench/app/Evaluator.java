package org.vssf.bench.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.filter.Evaluation;
import org.vssf.filter.FilterResult;
import org.vssf.filter.InformationFilter;
import org.vssf.filter.Sensor;
import org.vssf.filter.SmallDense;
import org.vssf.filter.Trainer;

/**
 * Scores a trained model on evaluation trajectories (MATH.md "What is measured"): the MSE of the
 * filtered mean μ_{t|t} against the true state on the measured components (raw, as the paper),
 * the smoother's MSE, state NLL and 2σ coverage of the filter; and, because the latent frame of an
 * unsupervised model is only defined up to the symmetries of the dynamics, the MSE after the best
 * affine map from latent to state, fitted on the first half of the trajectories and scored on the
 * second.
 */
public final class Evaluator {
  private Evaluator() {}

  /** Sequences filtered at once (bounds memory for long trajectories). */
  private static final int CHUNK = 8;

  /**
   * Evaluates {@code model} (switched to evaluation mode) on {@code data}, using the first {@code
   * length} steps, with the image sensor alone or with the linear sensor too.
   */
  public static Map<String, Object> evaluate(LvssfModel model, SequenceData data, int length,
      boolean withLinear) {
    if (length < 2 || length > data.length()) {
      throw new IllegalArgumentException("evaluation length " + length + " is not in 2.." + data.length()
          + " (the evaluation trajectories have " + data.length() + " steps)");
    }
    if (withLinear && model.linear == null) {
      throw new IllegalArgumentException("sensors image,linear: this model was trained without a linear sensor"
          + " (supervision none)");
    }
    model.train(false);
    int n = data.sequences();
    int[] comps = model.config.measured();
    int m = model.config.m;
    List<Sensor> sensors = new ArrayList<>();
    sensors.add(model.image);
    if (withLinear) {
      sensors.add(model.linear);
    }
    double[] sums = new double[6];
    // Per sequence and step: filtered mean (m) and truth on the measured components.
    double[][] mean = new double[n][length * m];
    double[][] truth = new double[n][length * comps.length];
    try (Tape.Scope noGrad = Tape.noGrad()) {
      for (int first = 0; first < n; first += CHUNK) {
        int count = Math.min(CHUNK, n - first);
        int[] idx = new int[count];
        for (int k = 0; k < count; k++) {
          idx[k] = first + k;
        }
        Trainer.Batch full = data.batch(idx, withLinear);
        List<Tensor> obs = new ArrayList<>();
        for (Tensor x : observations(full)) {
          obs.add(Ops.slice(x, 1, 0, length));
        }
        Tensor controls = data.controls(idx);
        Tensor u = controls == null ? null : Ops.slice(controls, 1, 0, length - 1);
        Tensor states = Ops.slice(data.states(idx), 1, 0, length);
        FilterResult f = InformationFilter.run(model.dynamics, sensors, obs, null, u);
        Evaluation.Metrics e = Evaluation.evaluate(model.dynamics, f, u, states, comps);
        double w = count;
        sums[0] += w * e.filterMse;
        sums[1] += w * e.smootherMse;
        sums[2] += w * e.filterNll;
        sums[3] += w * e.filterCoverage2Sigma;
        sums[4] += w * e.smootherNll;
        sums[5] += w * e.smootherCoverage2Sigma;
        float[] s = states.data();
        for (int t = 0; t < length; t++) {
          float[] mu = f.filteredMean(t).data();
          for (int k = 0; k < count; k++) {
            for (int i = 0; i < m; i++) {
              mean[first + k][t * m + i] = mu[k * m + i];
            }
            for (int c = 0; c < comps.length; c++) {
              truth[first + k][t * comps.length + c] = s[(k * length + t) * m + comps[c]];
            }
          }
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("filter_mse", sums[0] / n);
    out.put("smoother_mse", sums[1] / n);
    out.put("state_nll", sums[2] / n);
    out.put("coverage_2sigma", sums[3] / n);
    out.put("smoother_state_nll", sums[4] / n);
    out.put("smoother_coverage_2sigma", sums[5] / n);
    out.put("filter_mse_aligned", alignedMse(mean, truth, m, comps.length, length));
    out.put("sequences", (long) n);
    out.put("length", (long) length);
    out.put("sensors", withLinear ? "image,linear" : "image");
    return out;
  }

  private static List<Tensor> observations(Trainer.Batch batch) {
    return batch.observations();
  }

  /**
   * Held-out MSE after the least-squares affine map latent → state: fitted on sequences [0, n/2),
   * scored on [n/2, n). With a single sequence, fitted and scored on it.
   */
  static double alignedMse(double[][] mean, double[][] truth, int m, int d, int length) {
    int n = mean.length;
    int split = n >= 2 ? n / 2 : n;
    int q = m + 1;
    double[] xtx = new double[q * q];
    double[] xty = new double[q * d];
    double[] row = new double[q];
    for (int k = 0; k < split; k++) {
      for (int t = 0; t < length; t++) {
        features(mean[k], t, m, row);
        for (int i = 0; i < q; i++) {
          for (int j = 0; j < q; j++) {
            xtx[i * q + j] += row[i] * row[j];
          }
          for (int c = 0; c < d; c++) {
            xty[i * d + c] += row[i] * truth[k][t * d + c];
          }
        }
      }
    }
    double trace = 0;
    for (int i = 0; i < q; i++) {
      trace += xtx[i * q + i];
    }
    for (int i = 0; i < q; i++) {
      xtx[i * q + i] += 1e-9 * trace / q; // ridge: a collapsed latent still gives a finite map
    }
    double[] w = solveSpd(xtx, xty, q, d);
    double se = 0;
    long count = 0;
    int from = n >= 2 ? split : 0;
    for (int k = from; k < n; k++) {
      for (int t = 0; t < length; t++) {
        features(mean[k], t, m, row);
        for (int c = 0; c < d; c++) {
          double pred = 0;
          for (int i = 0; i < q; i++) {
            pred += row[i] * w[i * d + c];
          }
          double e = pred - truth[k][t * d + c];
          se += e * e;
          count++;
        }
      }
    }
    return se / count;
  }

  private static void features(double[] mean, int t, int m, double[] row) {
    for (int i = 0; i < m; i++) {
      row[i] = mean[t * m + i];
    }
    row[m] = 1;
  }

  /** Solves the SPD system {@code A X = B} (A q×q, B q×d) by Cholesky, in double. */
  private static double[] solveSpd(double[] a, double[] b, int q, int d) {
    return solveSpd("alignment: the latent features are degenerate", a, b, q, d);
  }

  /** As above; a matrix that is not positive definite raises an ArithmeticException starting with {@code what}. */
  static double[] solveSpd(String what, double[] a, double[] b, int q, int d) {
    double[] l = new double[q * q];
    try {
      SmallDense.cholesky("normal equations", 0, a, l, q);
    } catch (org.vssf.linalg.NotPositiveDefiniteException e) {
      throw new ArithmeticException(what + " (" + e.getMessage() + ")");
    }
    double[] x = b.clone();
    double[] col = new double[q];
    for (int c = 0; c < d; c++) {
      for (int i = 0; i < q; i++) {
        col[i] = x[i * d + c];
      }
      SmallDense.solve(l, col, q);
      for (int i = 0; i < q; i++) {
        x[i * d + c] = col[i];
      }
    }
    return x;
  }
}
