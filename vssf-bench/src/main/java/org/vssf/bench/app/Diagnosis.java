package org.vssf.bench.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.filter.Evaluation;
import org.vssf.filter.LinearGaussianDynamics;
import org.vssf.filter.LinearSensor;
import org.vssf.filter.Sensor;
import org.vssf.filter.Trainer;
import org.vssf.nn.BatchNorm;
import org.vssf.nn.Module;

/**
 * Where a trained model's filter error comes from, on the evaluation trajectories: the image
 * factor's covariance Σx = L Lᵀ + εI; the encoder's single-frame estimate μ(x) of each measured
 * component z_c fitted as μ_c ≈ a·z_c + b (slope, offset, residual variance, raw MSE) in
 * evaluation mode (running batch-norm statistics, the encoder that filters) and in training mode
 * (each frame normalised inside a training batch, the encoder the ELBO saw); and the filter MSE
 * with the image factor as trained and restricted to the measured components (its marginal
 * Gaussian on them), which isolates what the factor's other components cost.
 */
public final class Diagnosis {
  private Diagnosis() {}

  /** Frames of evaluation data placed into each training batch in the training-mode pass. */
  private static final int FRAMES_PER_BATCH = 40;

  /**
   * Diagnoses {@code model} on {@code eval}'s first {@code length} steps; training-mode encodings
   * use batches of {@code train} (the run's batch size, drawn from {@code seed}).
   */
  public static Map<String, Object> run(LvssfModel model, SequenceData eval, SequenceData train, int length,
      long seed) {
    if (length < 2 || length > eval.length()) {
      throw new IllegalArgumentException("diagnosis length " + length + " is not in 2.." + eval.length());
    }
    int m = model.config.m;
    int[] comps = model.config.measured();
    int n = eval.sequences();
    Map<String, Object> out = new LinkedHashMap<>();
    model.train(false);
    float[] cov;
    try (Tape.Scope noGrad = Tape.noGrad()) {
      Tensor eye = Tensor.wrap(identity(m), m, m);
      cov = org.vssf.autodiff.LinalgOps.spdSolve(model.image.precision(), eye).data();
    }
    List<Object> sigma = new ArrayList<>();
    for (float v : cov) {
      sigma.add((double) v);
    }
    out.put("image_factor_cov", sigma);
    float[][] evalMu = new float[n][];
    for (int k = 0; k < n; k++) {
      evalMu[k] = encode(model, eval.images(new int[] {k}), length);
    }
    float[][] trainMu = encodeInTrainingBatches(model, eval, train, length, seed);
    for (int c : comps) {
      fitInto(out, "encoder_eval_" + c, evalMu, eval, c, length, m);
      fitInto(out, "encoder_train_" + c, trainMu, eval, c, length, m);
    }
    out.put("filter_mse", filterMse(model, eval, evalMu, length, allComponents(m), cov));
    out.put("filter_mse_measured_factor", filterMse(model, eval, evalMu, length, comps, cov));
    out.put("sequences", (long) n);
    out.put("length", (long) length);
    return out;
  }

  /** Training batches the frame's ELBO gain is averaged over. */
  private static final int FRAME_BATCHES = 20;

  /**
   * The latent's frame and what the ELBO says about it: the least-squares map μ_{t|t} ≈ M z_t + c
   * of the filtered means (images only) on the state over every step of {@code eval}'s first
   * {@code length} steps (its residual variance per latent), and the ELBO gain per sequence of the
   * model with its dynamics re-expressed in that frame — A' = M A M⁻¹, B' = M B, Σw' = M Σw Mᵀ,
   * Σz' = M Σz Mᵀ, what a latent with the state's scales and axes would score, offset aside — over
   * the model itself, with common noise, on {@value #FRAME_BATCHES} batches of {@code train} (its
   * sequence length) and on the evaluation trajectories (length {@code length}, images only), each
   * with its standard error. The image factor's floor εI is kept in the model's frame, so the gain
   * is exact up to that floor and the encoder's 10·tanh. Positive: the data prefer the state's frame.
   * When M is singular (a collapsed latent) the gains are replaced by {@code frame_elbo_gain_note}.
   */
  public static Map<String, Object> frame(LvssfModel model, SequenceData eval, SequenceData train, int length,
      int samples, long seed) {
    if (length < 2 || length > eval.length()) {
      throw new IllegalArgumentException("frame length " + length + " is not in 2.." + eval.length());
    }
    int m = model.config.m;
    int n = eval.sequences();
    int q = m + 1;
    model.train(false);
    double[] xtx = new double[q * q];
    double[] xty = new double[q * m];
    double[] row = new double[q];
    double[][] mu = new double[n][length * m];
    double[][] z = new double[n][length * m];
    try (Tape.Scope noGrad = Tape.noGrad()) {
      for (int k = 0; k < n; k++) {
        int[] idx = {k};
        Tensor controls = eval.controls(idx);
        Tensor u = controls == null ? null : Ops.slice(controls, 1, 0, length - 1);
        org.vssf.filter.FilterResult f = org.vssf.filter.InformationFilter.run(model.dynamics, List.of(model.image),
            List.of(Ops.slice(eval.images(idx), 1, 0, length)), null, u);
        float[] s = eval.states(idx).data();
        for (int t = 0; t < length; t++) {
          float[] mean = f.filteredMean(t).data();
          for (int i = 0; i < m; i++) {
            mu[k][t * m + i] = mean[i];
            z[k][t * m + i] = s[t * m + i];
            row[i] = s[t * m + i];
          }
          row[m] = 1;
          for (int i = 0; i < q; i++) {
            for (int j = 0; j < q; j++) {
              xtx[i * q + j] += row[i] * row[j];
            }
            for (int c = 0; c < m; c++) {
              xty[i * m + c] += row[i] * mean[c];
            }
          }
        }
      }
    }
    double[] w = Evaluator.solveSpd("frame: the states do not span the state space", xtx, xty, q, m);
    double[] map = new double[m * m]; // M[c][i] = w[i][c]
    double[] offset = new double[m];
    for (int c = 0; c < m; c++) {
      for (int i = 0; i < m; i++) {
        map[c * m + i] = w[i * m + c];
      }
      offset[c] = w[m * m + c];
    }
    double[] resid = new double[m];
    for (int k = 0; k < n; k++) {
      for (int t = 0; t < length; t++) {
        for (int c = 0; c < m; c++) {
          double pred = offset[c];
          for (int i = 0; i < m; i++) {
            pred += map[c * m + i] * z[k][t * m + i];
          }
          double e = mu[k][t * m + c] - pred;
          resid[c] += e * e / ((double) n * length);
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("frame_map", ModelConfig.list(map));
    out.put("frame_offset", ModelConfig.list(offset));
    out.put("frame_residual_var", ModelConfig.list(resid));
    LinearGaussianDynamics reframed;
    try {
      reframed = reframe(model.dynamics, map, m);
    } catch (ArithmeticException | IllegalArgumentException e) { // a collapsed latent: no gain to score
      out.put("frame_elbo_gain_note", e.getMessage());
      return out;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    double[] gain = new double[2]; // sum, sum of squares
    long count = 0;
    for (int b = 0; b < FRAME_BATCHES; b++) {
      Trainer.Batch batch = train.batch(b, rng.split());
      count += elboGain(model, reframed, model.trainingSensors(), batch, samples, rng.nextLong(), gain);
    }
    putGain(out, "frame_elbo_gain_train", gain, count);
    gain = new double[2];
    count = 0;
    for (int k = 0; k < n; k++) {
      int[] idx = {k};
      Tensor controls = eval.controls(idx);
      Trainer.Batch batch = new Trainer.Batch(List.of(Ops.slice(eval.images(idx), 1, 0, length)), null,
          controls == null ? null : Ops.slice(controls, 1, 0, length - 1));
      count += elboGain(model, reframed, List.of(model.image), batch, samples, rng.nextLong(), gain);
    }
    putGain(out, "frame_elbo_gain_eval", gain, count);
    return out;
  }

  /** The dynamics in the frame z' = M z: M A M⁻¹, M B, M Σw Mᵀ, M Σz Mᵀ (M⁻¹ by Cholesky of MᵀM). */
  static LinearGaussianDynamics reframe(LinearGaussianDynamics d, double[] map, int m) {
    double[] mtm = new double[m * m];
    double[] mt = new double[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        mt[i * m + j] = map[j * m + i];
        for (int k = 0; k < m; k++) {
          mtm[i * m + j] += map[k * m + i] * map[k * m + j];
        }
      }
    }
    double[] inv = Evaluator.solveSpd("frame: the latent's map from the state is singular", mtm, mt, m, m);
    int p = d.controlSize();
    float[] a = d.dynamicsMatrix().data();
    float[] b = p > 0 ? d.controlMatrix().data() : null;
    double[] ma = product(map, m, m, a, m);
    double[] aNew = product(ma, m, m, LvssfModel.toFloat(inv), m);
    double[] bNew = p > 0 ? product(map, m, m, b, p) : new double[0];
    double[] w = congruence(map, d.processCov().data(), m);
    double[] prior = congruence(map, d.initialCov().data(), m);
    return new LinearGaussianDynamics(m, p, LvssfModel.toFloat(prior), LvssfModel.toFloat(aNew),
        LvssfModel.toFloat(bNew), LvssfModel.toFloat(w), false, false, false);
  }

  /** M S Mᵀ, symmetrised. */
  private static double[] congruence(double[] map, float[] s, int m) {
    double[] ms = product(map, m, m, s, m);
    double[] out = new double[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        for (int k = 0; k < m; k++) {
          out[i * m + j] += ms[i * m + k] * map[j * m + k];
        }
      }
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < i; j++) {
        double v = 0.5 * (out[i * m + j] + out[j * m + i]);
        out[i * m + j] = v;
        out[j * m + i] = v;
      }
    }
    return out;
  }

  /** x (r×k, double) times y (k×c, float). */
  private static double[] product(double[] x, int r, int k, float[] y, int c) {
    double[] out = new double[r * c];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        for (int l = 0; l < k; l++) {
          out[i * c + j] += x[i * k + l] * y[l * c + j];
        }
      }
    }
    return out;
  }

  /** Adds each sequence's ELBO under {@code reframed} minus under the model (same noise) into {@code acc}. */
  private static int elboGain(LvssfModel model, LinearGaussianDynamics reframed, List<Sensor> sensors,
      Trainer.Batch batch, int samples, long noiseSeed, double[] acc) {
    float[] base = elbos(model.dynamics, sensors, batch, samples, noiseSeed);
    float[] other = elbos(reframed, sensors, batch, samples, noiseSeed);
    for (int i = 0; i < base.length; i++) {
      double g = (double) other[i] - base[i];
      acc[0] += g;
      acc[1] += g * g;
    }
    return base.length;
  }

  static float[] elbos(LinearGaussianDynamics dynamics, List<Sensor> sensors, Trainer.Batch batch,
      int samples, long noiseSeed) {
    try (Tape.Scope noGrad = Tape.noGrad()) {
      org.vssf.filter.BackwardSampler.Samples s = org.vssf.filter.FusedPosterior.sample(dynamics, sensors,
          batch.observations(), batch.masks(), batch.controls(), samples, new SplittableRandom(noiseSeed));
      return org.vssf.filter.Elbo.compute(dynamics, sensors, batch.observations(), batch.masks(), batch.controls(), s,
          1f).elbo.data().clone();
    }
  }

  private static void putGain(Map<String, Object> out, String key, double[] acc, long count) {
    double mean = acc[0] / count;
    double var = Math.max(0, acc[1] / count - mean * mean);
    out.put(key, mean);
    out.put(key + "_se", Math.sqrt(var / Math.max(1, count - 1)));
  }

  /** The encoder's means μ(x) of one sequence's first {@code length} frames, [length·m]. */
  private static float[] encode(LvssfModel model, Tensor images, int length) {
    int size = model.config.size;
    try (Tape.Scope noGrad = Tape.noGrad()) {
      Tensor frames = Ops.reshape(Ops.slice(images, 1, 0, length), length, 3, size, size);
      return model.image.means(frames).data();
    }
  }


  /**
   * Training-mode encodings: frames of the evaluation data replace the first frames of training
   * batches, so each is normalised with statistics of a batch like those of training. The batch
   * norms' running statistics are restored afterwards; the model is left in evaluation mode.
   */
  private static float[][] encodeInTrainingBatches(LvssfModel model, SequenceData eval, SequenceData train,
      int length, long seed) {
    int n = eval.sequences();
    int size = model.config.size;
    int frame = 3 * size * size;
    int m = model.config.m;
    Map<String, Tensor> buffers = model.image.encoder().namedBuffers();
    Map<String, float[]> saved = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
      saved.put(e.getKey(), e.getValue().data().clone());
    }
    float[][] out = new float[n][length * m];
    SplittableRandom rng = new SplittableRandom(seed);
    setNormTraining(model.image.encoder(), true);
    try (Tape.Scope noGrad = Tape.noGrad()) {
      for (int k = 0; k < n; k++) {
        float[] frames = Ops.slice(eval.images(new int[] {k}), 1, 0, length).data();
        for (int t0 = 0; t0 < length; t0 += FRAMES_PER_BATCH) {
          float[] batch = train.batch(0, rng.split()).observations().get(0).data().clone();
          int total = batch.length / frame;
          int count = Math.min(FRAMES_PER_BATCH, length - t0);
          if (count > total) {
            throw new IllegalArgumentException("training batches of " + total + " frames are too small");
          }
          System.arraycopy(frames, t0 * frame, batch, 0, count * frame);
          float[] mu = model.image.means(Tensor.wrap(batch, total, 3, size, size)).data();
          System.arraycopy(mu, 0, out[k], t0 * m, count * m);
        }
      }
    } finally {
      setNormTraining(model.image.encoder(), false);
      Map<String, Tensor> now = model.image.encoder().namedBuffers();
      for (Map.Entry<String, float[]> e : saved.entrySet()) {
        float[] dst = now.get(e.getKey()).data();
        System.arraycopy(e.getValue(), 0, dst, 0, dst.length);
      }
    }
    return out;
  }

  private static void setNormTraining(Module module, boolean on) {
    for (BatchNorm bn : BatchNorm.all(module)) {
      bn.train(on);
    }
  }

  /** Least squares μ_c ≈ a·z_c + b over every frame: slope, offset, residual variance, raw MSE. */
  private static void fitInto(Map<String, Object> out, String key, float[][] mu, SequenceData eval, int c,
      int length, int m) {
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    double raw = 0;
    long count = 0;
    List<double[]> pairs = new ArrayList<>();
    for (int k = 0; k < mu.length; k++) {
      float[] states = eval.states(new int[] {k}).data();
      for (int t = 0; t < length; t++) {
        double z = states[t * m + c];
        double y = mu[k][t * m + c];
        pairs.add(new double[] {z, y});
        sx += z;
        sy += y;
        sxx += z * z;
        sxy += z * y;
        raw += (y - z) * (y - z);
        count++;
      }
    }
    double a = (count * sxy - sx * sy) / (count * sxx - sx * sx);
    double b = (sy - a * sx) / count;
    double resid = 0;
    for (double[] p : pairs) {
      double e = p[1] - (a * p[0] + b);
      resid += e * e;
    }
    Map<String, Object> fit = new LinkedHashMap<>();
    fit.put("slope", a);
    fit.put("offset", b);
    fit.put("residual_var", resid / count);
    fit.put("raw_mse", raw / count);
    out.put(key, fit);
  }

  /**
   * Filter MSE (images only) with the image factor replaced by a linear sensor observing the
   * encoder's means on {@code keep} with the factor's marginal covariance there: with every
   * component this is the trained factor itself.
   */
  private static double filterMse(LvssfModel model, SequenceData eval, float[][] mu, int length, int[] keep,
      float[] cov) {
    int m = model.config.m;
    int d = keep.length;
    float[] c = new float[d * m];
    float[] r = new float[d * d];
    for (int i = 0; i < d; i++) {
      c[i * m + keep[i]] = 1f;
      for (int j = 0; j < d; j++) {
        r[i * d + j] = cov[keep[i] * m + keep[j]];
      }
    }
    List<Sensor> sensors = List.of(new LinearSensor(d, m, c, r));
    int n = mu.length;
    double sum = 0;
    for (int k = 0; k < n; k++) {
      float[] obs = new float[length * d];
      for (int t = 0; t < length; t++) {
        for (int i = 0; i < d; i++) {
          obs[t * d + i] = mu[k][t * m + keep[i]];
        }
      }
      int[] idx = {k};
      Tensor controls = eval.controls(idx);
      Tensor u = controls == null ? null : Ops.slice(controls, 1, 0, length - 1);
      Tensor truth = Ops.slice(eval.states(idx), 1, 0, length);
      sum += Evaluation.evaluate(model.dynamics, sensors, List.of(Tensor.wrap(obs, 1, length, d)), null, u, truth,
          model.config.measured()).filterMse;
    }
    return sum / n;
  }

  private static int[] allComponents(int m) {
    int[] all = new int[m];
    for (int i = 0; i < m; i++) {
      all[i] = i;
    }
    return all;
  }

  private static float[] identity(int m) {
    float[] e = new float[m * m];
    for (int i = 0; i < m; i++) {
      e[i * m + i] = 1f;
    }
    return e;
  }
}
