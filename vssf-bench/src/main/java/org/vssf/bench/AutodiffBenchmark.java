package org.vssf.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;

/**
 * Per-op overhead of the autodiff engine: a chain of 10 000 ops on 2×2 tensors (mul, add, tanh
 * repeating), forward and backward, reported per op. The loop builds the graph being measured
 * (it is the workload, not a repetition of it). Target: ≤ 1 µs per op forward + backward.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AutodiffBenchmark {
  static final int CHAIN = 10_000;

  private Tensor x0;
  private Tensor w;
  private Tensor c;

  @Setup
  public void setup() {
    x0 = Tensor.of(new float[] {0.1f, -0.2f, 0.3f, 0.4f}, 2, 2).requiresGrad(true);
    w = Tensor.of(new float[] {0.9f, 1.1f, -0.8f, 1.2f}, 2, 2).requiresGrad(true);
    c = Tensor.of(new float[] {0.05f, -0.05f, 0.1f, 0f}, 2, 2);
  }

  /** 10 000 recorded tiny ops (plus the final sum), then backward through all of them. */
  @Benchmark
  @OperationsPerInvocation(CHAIN)
  public float tinyOpChainForwardBackward() {
    x0.zeroGrad();
    w.zeroGrad();
    Tensor x = x0;
    for (int i = 0; i < CHAIN; i += 3) {
      x = Ops.tanh(Ops.add(Ops.mul(x, w), c));
    }
    Ops.sum(x).backward();
    return x0.grad()[0] + w.grad()[3];
  }

  /** The same chain forward only, inside a no-grad scope (inference cost per op). */
  @Benchmark
  @OperationsPerInvocation(CHAIN)
  public float tinyOpChainNoGrad() {
    try (Tape.Scope ng = Tape.noGrad()) {
      Tensor x = x0;
      for (int i = 0; i < CHAIN; i += 3) {
        x = Ops.tanh(Ops.add(Ops.mul(x, w), c));
      }
      return x.data()[0];
    }
  }
}
