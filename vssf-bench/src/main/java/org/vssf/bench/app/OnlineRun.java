package org.vssf.bench.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.vssf.autodiff.Tape;
import org.vssf.filter.OnlineFilter;
import org.vssf.nn.io.AtomicFiles;

/**
 * The deployment filter on one evaluation trajectory: an {@link OnlineFilter} over the run's
 * dynamics and image sensor (evaluation mode), fed one frame and the previous control per step, as
 * a device would. Records the filtered mean and the diagonal of the covariance at every step and
 * the time each step takes.
 */
public final class OnlineRun {
  /** The trajectory's index in the evaluation split. */
  public final int index;
  /** Steps filtered. */
  public final int length;
  /** State (= latent) size. */
  public final int m;
  /** True state at {@code [t·m + i]}. */
  public final double[] truth;
  /** Filtered mean μ_{t|t} at {@code [t·m + i]}. */
  public final double[] mean;
  /** Filtered variance P_{t|t}[i][i] at {@code [t·m + i]}. */
  public final double[] variance;
  /** Nanoseconds of each {@code step()} call. */
  public final long[] stepNanos;

  private OnlineRun(int index, int length, int m) {
    this.index = index;
    this.length = length;
    this.m = m;
    this.truth = new double[length * m];
    this.mean = new double[length * m];
    this.variance = new double[length * m];
    this.stepNanos = new long[length];
  }

  /**
   * Filters the first {@code length} steps of trajectory {@code index} of {@code data} (an
   * evaluation split) with {@code model}'s image sensor, switching the model to evaluation mode.
   *
   * @throws IllegalArgumentException when the index or length does not fit the data
   */
  public static OnlineRun filter(LvssfModel model, SequenceData data, int index, int length) {
    if (index < 0 || index >= data.sequences()) {
      throw new IllegalArgumentException("--index " + index + " is not in 0.." + (data.sequences() - 1)
          + " (the evaluation split has " + data.sequences() + " trajectories)");
    }
    if (length < 1 || length > data.length()) {
      throw new IllegalArgumentException("--length " + length + " is not in 1.." + data.length()
          + " (the evaluation trajectories have " + data.length() + " steps)");
    }
    Runs.checkCompatible(model.config, data.info());
    model.train(false);
    int m = model.config.m;
    int p = model.config.p;
    OnlineRun out = new OnlineRun(index, length, m);
    int[] idx = {index};
    float[] frames;
    float[] controls;
    float[] states;
    try (Tape.Scope noGrad = Tape.noGrad()) {
      frames = data.images(idx).data(); // [1, T, 3, H, W]
      controls = p == 0 ? null : data.controls(idx).data(); // [1, T−1, p]
      states = data.states(idx).data(); // [1, T, m]
    }
    int frameSize = model.image.observationSize();
    OnlineFilter filter = new OnlineFilter(model.dynamics, List.of(model.image));
    float[][] obs = new float[1][];
    float[] u = p == 0 ? null : new float[p];
    float[] mu = new float[m];
    float[] cov = new float[m * m];
    for (int t = 0; t < length; t++) {
      float[] frame = new float[frameSize];
      System.arraycopy(frames, t * frameSize, frame, 0, frameSize);
      obs[0] = frame;
      if (t > 0 && p > 0) {
        System.arraycopy(controls, (t - 1) * p, u, 0, p);
      }
      long t0 = System.nanoTime();
      filter.step(obs, t > 0 ? u : null);
      out.stepNanos[t] = System.nanoTime() - t0;
      filter.mean(mu);
      filter.covariance(cov);
      for (int i = 0; i < m; i++) {
        out.mean[t * m + i] = mu[i];
        out.variance[t * m + i] = cov[i * m + i];
        out.truth[t * m + i] = states[t * m + i];
      }
    }
    return out;
  }

  /** MSE of the mean against the truth over the steps and {@code components}. */
  public double mse(int[] components) {
    double se = 0;
    for (int t = 0; t < length; t++) {
      for (int c : components) {
        double e = mean[t * m + c] - truth[t * m + c];
        se += e * e;
      }
    }
    return se / ((double) length * components.length);
  }

  /** Mean time of a step in microseconds. */
  public double meanStepMicros() {
    long sum = 0;
    for (long n : stepNanos) {
      sum += n;
    }
    return sum / 1e3 / length;
  }

  /** Median time of a step in microseconds (insensitive to the first, JIT-compiling steps). */
  public double medianStepMicros() {
    long[] sorted = stepNanos.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0) / 1e3;
  }

  /**
   * Writes the CSV {@code t, state_1..state_m, mean_1..mean_m, var_1..var_m} (one row per step;
   * component i of the state, of μ_{t|t} and the diagonal of P_{t|t}), atomically.
   */
  public void writeCsv(Path file) throws IOException {
    StringBuilder sb = new StringBuilder("t");
    for (String col : new String[] {"state", "mean", "var"}) {
      for (int i = 1; i <= m; i++) {
        sb.append(',').append(col).append('_').append(i);
      }
    }
    sb.append('\n');
    for (int t = 0; t < length; t++) {
      sb.append(t);
      for (double[] a : new double[][] {truth, mean, variance}) {
        for (int i = 0; i < m; i++) {
          sb.append(',').append(String.format(Locale.ROOT, "%.8g", a[t * m + i]));
        }
      }
      sb.append('\n');
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(file, o -> o.write(bytes));
  }
}
