package org.vssf.bench;

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
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.linalg.Parallel;
import org.vssf.nn.Dcgan;
import org.vssf.nn.Sequential;

/**
 * Deployment latency: one frame through the DCGAN encoder in evaluation mode without gradient (what
 * the online filter pays per image). PyTorch 1.13, one thread, on the reference machine: 1.49 ms
 * (64×64, nf = 32) and 0.32 ms (32×32, nf = 16).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EncoderLatencyBenchmark {
  @Param({"32", "64"})
  public int size;

  private Sequential encoder;
  private Tensor frame;

  @Setup
  public void setup() {
    Parallel.setDefaultParallelism(1);
    int nf = size == 64 ? 32 : 16;
    int m = 2;
    SplittableRandom rng = new SplittableRandom(3);
    encoder = Dcgan.encoder(size, nf, 4 * m * m, m, rng);
    encoder.train(false);
    frame = Tensor.wrap(BenchData.uniform(rng, 3 * size * size), 1, 3, size, size);
  }

  @Benchmark
  public float encodeOneFrame() {
    try (Tape.Scope noGrad = Tape.noGrad()) {
      return encoder.forward(frame).data()[0];
    }
  }
}
