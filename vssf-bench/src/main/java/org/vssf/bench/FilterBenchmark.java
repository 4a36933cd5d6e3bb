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
import org.vssf.linalg.Parallel;
import org.vssf.filter.BackwardSampler;
import org.vssf.filter.Elbo;
import org.vssf.filter.FilterResult;
import org.vssf.filter.FusedPosterior;
import org.vssf.filter.InformationFilter;
import org.vssf.filter.LinearGaussianDynamics;
import org.vssf.filter.LinearSensor;
import org.vssf.filter.Sensor;

/**
 * Information filter + backward sampler + ELBO, forward and backward (A, B and Σw learned), with a
 * full linear sensor standing in for the image encoder's factor. PyTorch 1.13 on the reference
 * machine, one thread: batch 32, T 5, m 2, S 64: 4.1 ms; batch 128, S 1024: 52 ms; batch 128,
 * T 5, S 64: 7.6 / 12.6 ms (m 2 / 4); T 200: 361 / 607 ms.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class FilterBenchmark {
  /** {@code batch-T-m-S}. */
  @Param({"32-5-2-64", "128-5-2-1024", "128-5-2-64", "128-5-4-64", "128-200-2-64", "128-200-4-64"})
  public String config;

  /** Threads of the library's pool (the fused op runs sequences in parallel). */
  @Param({"1"})
  public int threads;

  private LinearGaussianDynamics dynamics;
  private List<Sensor> sensors;
  private List<Tensor> observations;
  private Tensor controls;
  private int samples;

  @Setup
  public void setup() {
    Parallel.setDefaultParallelism(threads);
    String[] c = config.split("-");
    int b = Integer.parseInt(c[0]);
    int t = Integer.parseInt(c[1]);
    int m = Integer.parseInt(c[2]);
    samples = Integer.parseInt(c[3]);
    SplittableRandom rng = new SplittableRandom(4);
    float[] eye = new float[m * m];
    float[] a = new float[m * m];
    float[] sw = new float[m * m];
    float[] sx = new float[m * m];
    for (int i = 0; i < m; i++) {
      eye[i * m + i] = 1f;
      a[i * m + i] = 0.95f;
      sw[i * m + i] = 1e-3f;
      sx[i * m + i] = 0.05f;
    }
    dynamics = new LinearGaussianDynamics(m, 1, eye, a, BenchData.uniform(rng, m), sw, true, true, true);
    sensors = List.of(new LinearSensor(m, m, eye, sx));
    observations = List.of(Tensor.wrap(BenchData.uniform(rng, b * t * m), b, t, m));
    controls = Tensor.wrap(BenchData.uniform(rng, b * (t - 1)), b, t - 1, 1);
  }

  /** The fused filter + sampler + prior ({@link FusedPosterior}) with the ELBO on top. */
  @Benchmark
  public float fusedForwardBackward() {
    dynamics.zeroGrad();
    BackwardSampler.Samples s = FusedPosterior.sample(dynamics, sensors, observations, null, controls, samples,
        new SplittableRandom(1));
    Elbo.Terms terms = Elbo.compute(dynamics, sensors, observations, null, controls, s, 1f);
    terms.loss.backward();
    return dynamics.dynamicsMatrix().grad()[0];
  }

  /** The composite chain (the oracle): one recorded op per small-matrix step. */
  @Benchmark
  public float filterSamplerElboForwardBackward() {
    dynamics.zeroGrad();
    FilterResult r = InformationFilter.run(dynamics, sensors, observations, null, controls);
    BackwardSampler.Samples s = BackwardSampler.sample(dynamics, r, controls, samples, new SplittableRandom(1));
    Elbo.Terms terms = Elbo.compute(dynamics, sensors, observations, null, controls, s, 1f);
    terms.loss.backward();
    return dynamics.dynamicsMatrix().grad()[0];
  }
}
