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
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;
import org.vssf.linalg.Parallel;
import org.vssf.nn.Dcgan;
import org.vssf.nn.Sequential;

/**
 * DCGAN encoder and decoder forward + backward for one batch, as in training (batch norm in
 * training mode, gradients for every parameter). Configurations: {@code 32} = 32×32, nf = 16,
 * batch 160 (32 sequences × 5 frames); {@code 64} = 64×64, nf = 32, batch 80; latent m = 2 (hidden
 * 4m² = 16). PyTorch 1.13, one thread, on the reference machine: encoder 17.8 / 139 ms, decoder
 * 44.0 / 261 ms.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DcganBenchmark {
  @Param({"32", "64"})
  public int size;

  @Param({"1", "2"})
  public int threads;

  private Sequential encoder;
  private Sequential decoder;
  private Tensor images;
  private Tensor latents;

  @Setup
  public void setup() {
    Parallel.setDefaultParallelism(threads);
    int nf = size == 64 ? 32 : 16;
    int batch = size == 64 ? 80 : 160;
    int m = 2;
    SplittableRandom rng = new SplittableRandom(3);
    encoder = Dcgan.encoder(size, nf, 4 * m * m, m, rng);
    decoder = Dcgan.decoder(size, nf, 4 * m * m, m, rng);
    images = Tensor.wrap(BenchData.uniform(rng, batch * 3 * size * size), batch, 3, size, size);
    latents = Tensor.wrap(BenchData.uniform(rng, batch * m), batch, m);
  }

  @Benchmark
  public float encoderForwardBackward() {
    encoder.zeroGrad();
    Ops.sum(encoder.forward(images)).backward();
    return encoder.namedParameters().get("block1.0.weight").grad()[0];
  }

  @Benchmark
  public float decoderForwardBackward() {
    decoder.zeroGrad();
    Ops.sum(Ops.square(decoder.forward(latents))).backward();
    return decoder.namedParameters().get("out.weight").grad()[0];
  }
}
