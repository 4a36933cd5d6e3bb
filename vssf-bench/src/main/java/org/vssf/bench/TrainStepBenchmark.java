package org.vssf.bench;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.vssf.autodiff.Tensor;
import org.vssf.filter.BackwardSampler;
import org.vssf.filter.Elbo;
import org.vssf.filter.FusedPosterior;
import org.vssf.filter.ImageSensor;
import org.vssf.filter.LinearGaussianDynamics;
import org.vssf.filter.Sensor;
import org.vssf.linalg.Parallel;
import org.vssf.nn.Adam;
import org.vssf.nn.LearningRate;

/**
 * One L-VSSF training step as the trainer runs it (image sensor: DCGAN encoder and decoder; fused
 * filter + sampler with S samples; ELBO; backward; AdamW), T = 5, m = 2. {@code config} is {@code
 * size-nf-batch-S}. PyTorch 1.13 on the reference machine: 32-16-32-64 72 ms (one thread),
 * 64-32-16-64 417 ms (one thread) / 382 ms (best of 1–2 threads).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class TrainStepBenchmark {
  @Param({"32-16-32-64", "64-32-16-64"})
  public String config;

  @Param({"1", "2"})
  public int threads;

  private LinearGaussianDynamics dynamics;
  private ImageSensor image;
  private List<Sensor> sensors;
  private List<Tensor> observations;
  private Tensor controls;
  private Adam adam;
  private int samples;
  private long step;

  @Setup
  public void setup() {
    Parallel.setDefaultParallelism(threads);
    String[] c = config.split("-");
    int size = Integer.parseInt(c[0]);
    int nf = Integer.parseInt(c[1]);
    int batch = Integer.parseInt(c[2]);
    samples = Integer.parseInt(c[3]);
    int t = 5;
    SplittableRandom rng = new SplittableRandom(5);
    dynamics = new LinearGaussianDynamics(2, 1, new float[] {1, 0, 0, 1}, new float[] {0.99f, 0.2f, 0f, 0.998f},
        new float[] {0.03f, 0.3f}, new float[] {1e-3f, 0, 0, 1e-3f}, false, false, false);
    image = new ImageSensor(2, size, nf, 0.01f, 0.001f, 2f, 5f, rng);
    sensors = List.of(image);
    observations = List.of(Tensor.wrap(BenchData.uniform(rng, batch * t * 3 * size * size), batch, t, 3, size, size));
    controls = Tensor.wrap(BenchData.uniform(rng, batch * (t - 1)), batch, t - 1, 1);
    adam = Adam.adamW(image, LearningRate.constant(1e-3f), 1e-4f, 0f);
  }

  @Benchmark
  public float trainStep() {
    image.zeroGrad();
    BackwardSampler.Samples s = FusedPosterior.sample(dynamics, sensors, observations, null, controls, samples,
        new SplittableRandom(step++));
    Elbo.Terms terms = Elbo.compute(dynamics, sensors, observations, null, controls, s, 1f);
    terms.loss.backward();
    adam.update();
    return terms.loss.item();
  }
}
