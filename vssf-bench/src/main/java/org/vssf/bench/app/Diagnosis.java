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
import org.vssf.filter.LinearSensor;
import org.vssf.filter.Sensor;
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
      evalMu[k] = encode(model, eval.images(new int[] {k}), length, m);
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

  /** The encoder's means 10·tanh(·) of one sequence's first {@code length} frames, [length·m]. */
  private static float[] encode(LvssfModel model, Tensor images, int length, int m) {
    int size = model.config.size;
    try (Tape.Scope noGrad = Tape.noGrad()) {
      Tensor frames = Ops.reshape(Ops.slice(images, 1, 0, length), length, 3, size, size);
      return means(model.image.encoder().forward(frames).data(), length, m);
    }
  }

  private static float[] means(float[] encoded, int frames, int m) {
    int width = encoded.length / frames; // m, or m plus a per-image precision's triangle
    float[] mu = new float[frames * m];
    for (int t = 0; t < frames; t++) {
      for (int i = 0; i < m; i++) {
        mu[t * m + i] = (float) (10 * Math.tanh(encoded[t * width + i]));
      }
    }
    return mu;
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
          float[] mu = means(model.image.encoder().forward(Tensor.wrap(batch, total, 3, size, size)).data(), total,
              m);
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
