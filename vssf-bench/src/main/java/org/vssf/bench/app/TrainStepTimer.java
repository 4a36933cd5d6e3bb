package org.vssf.bench.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vssf.autodiff.Tensor;
import org.vssf.filter.ImageSensor;
import org.vssf.filter.LinearGaussianDynamics;
import org.vssf.filter.Sensor;
import org.vssf.filter.Trainer;
import org.vssf.linalg.Parallel;

/**
 * Times the L-VSSF training step (DCGAN encoder and decoder, fused filter + sampler with S
 * samples, ELBO, backward, AdamW) on synthetic images of the given size, T = 5, m = 2: runs the
 * real {@link Trainer} with no pre-training and reports the median step time after a warm-up.
 */
public final class TrainStepTimer {
  private TrainStepTimer() {}

  /** The measurement's settings. */
  public static final class Settings {
    public int size = 32;
    public int nf = 16;
    public int batch = 32;
    public int samples = 64;
    public int threads = Parallel.defaultParallelism();
    public int warmup = 10;
    public int steps = 10;
  }

  /** Runs the measurement; returns the configuration and {@code median_ms} (plus min and max). */
  public static Map<String, Object> measure(Settings s) throws IOException {
    if (s.size < 16 || Integer.bitCount(s.size) != 1) {
      throw new IllegalArgumentException("--size must be a power of two >= 16, got " + s.size);
    }
    int m = 2;
    int t = 5;
    int saved = Parallel.defaultParallelism();
    Parallel.setDefaultParallelism(s.threads);
    Path dir = Files.createTempDirectory("vssf-train-step");
    try {
      float[] eye = {1, 0, 0, 1};
      LinearGaussianDynamics dyn = new LinearGaussianDynamics(m, 1, eye, new float[] {0.99f, 0.2f, 0f, 0.998f},
          new float[] {0.03f, 0.3f}, new float[] {1e-3f, 0, 0, 1e-3f}, false, false, false);
      ImageSensor image = new ImageSensor(m, s.size, s.nf, 0.01f, 0.001f, 2f, 5f, new SplittableRandom(1));
      Trainer.Config c = new Trainer.Config();
      c.steps = s.warmup + s.steps;
      c.pretrainSteps = 0;
      c.samples = s.samples;
      c.logEvery = c.steps;
      c.checkpointEvery = Integer.MAX_VALUE;
      c.seed = 1;
      int frame = 3 * s.size * s.size;
      Trainer.Data data = (step, rng) -> {
        float[] img = new float[s.batch * t * frame];
        for (int i = 0; i < img.length; i++) {
          img[i] = (float) (2 * rng.nextDouble() - 1);
        }
        float[] u = new float[s.batch * (t - 1)];
        for (int i = 0; i < u.length; i++) {
          u[i] = (float) rng.nextGaussian();
        }
        return new Trainer.Batch(List.of(Tensor.wrap(img, s.batch, t, 3, s.size, s.size)), null,
            Tensor.wrap(u, s.batch, t - 1, 1));
      };
      long[] last = {System.nanoTime()};
      List<Double> times = new ArrayList<>();
      new Trainer(dyn, List.<Sensor>of(image), c, dir).onProgress((done, total, loss) -> {
        long now = System.nanoTime();
        if (done > s.warmup) {
          times.add((now - last[0]) / 1e6);
        }
        last[0] = now;
      }).train(data);
      double[] sorted = times.stream().mapToDouble(Double::doubleValue).toArray();
      Arrays.sort(sorted);
      double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
          : 0.5 * (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("median_ms", median);
      out.put("min_ms", sorted[0]);
      out.put("max_ms", sorted[sorted.length - 1]);
      out.put("size", (long) s.size);
      out.put("nf", (long) s.nf);
      out.put("batch", (long) s.batch);
      out.put("samples", (long) s.samples);
      out.put("threads", (long) s.threads);
      out.put("steps_timed", (long) s.steps);
      return out;
    } finally {
      Parallel.setDefaultParallelism(saved);
      Runs.deleteTree(dir);
    }
  }
}
