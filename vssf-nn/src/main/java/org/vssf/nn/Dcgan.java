package org.vssf.nn;

import java.util.SplittableRandom;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;

/**
 * The DCGAN-style image networks of the reference setup, for square RGB images whose size is a
 * power of two ≥ 16 ({@code blocks = log₂(size/4)} resolution steps; 64 → 4, 32 → 3).
 *
 * <p>Encoder {@code [N,3,S,S] → [N,out]}: blocks Conv 4×4 s2 p1 → BatchNorm → LeakyReLU(0.3)
 * with {@code nf, 2nf, …, nf·2^(blocks−1)} channels down to 4×4, a 4×4 valid conv to {@code h}
 * channels → BatchNorm, flatten, then Linear(h) → GELU → Linear(h) → GELU → Linear(out).
 *
 * <p>Decoder {@code [N,in] → [N,3,S,S]}: Linear(h) → GELU → Linear(h) → GELU → Linear(h), reshape
 * to {@code [N,h,1,1]}, transposed conv 4×4 to {@code nf·2^(blocks−1)} channels at 4×4 → BN →
 * LeakyReLU(0.3), then transposed convs 4×4 s2 p1 halving the channels down to {@code nf}, each
 * with BN and LeakyReLU, then a last transposed conv 4×4 s2 p1 to 3 channels (no activation).
 *
 * <p>In the model {@code h = 4m²} for a latent of size m. BatchNorm takes statistics per channel
 * over all images of the batch (sequences are flattened to images first: batch and time together).
 */
public final class Dcgan {
  /** Leaky ReLU slope of the reference networks. */
  public static final float SLOPE = 0.3f;

  private Dcgan() {}

  /** Resolution steps between {@code size} and 4: log₂(size/4), for a power of two ≥ 16. */
  public static int blocks(int size) {
    if (size < 16 || Integer.bitCount(size) != 1) {
      throw new IllegalArgumentException("DCGAN image size must be a power of two >= 16, got " + size);
    }
    return Integer.numberOfTrailingZeros(size) - 2;
  }

  /** The encoder; {@code hidden} = h, {@code out} = size of the output vector. */
  public static Sequential encoder(int size, int nf, int hidden, int out, SplittableRandom rng) {
    return encoder(size, nf, hidden, out, SLOPE, rng);
  }

  /** The encoder with a chosen leaky-ReLU slope (1 makes the network smooth, e.g. for gradient checks). */
  public static Sequential encoder(int size, int nf, int hidden, int out, float slope, SplittableRandom rng) {
    int blocks = blocks(size);
    checkWidths(nf, hidden, out);
    Sequential net = new Sequential();
    int channels = 3;
    for (int b = 0; b < blocks; b++) {
      int next = nf << b;
      net.add("block" + (b + 1), new Sequential(new Conv2d(channels, next, 4, 2, 1, true, rng),
          BatchNorm.channels(next), Activation.leakyRelu(slope)));
      channels = next;
    }
    net.add("head", new Sequential(new Conv2d(channels, hidden, 4, 1, 0, true, rng), BatchNorm.channels(hidden)));
    net.add("flatten", new Flatten());
    net.add("mlp", new Sequential(new Linear(hidden, hidden, rng), Activation.gelu(),
        new Linear(hidden, hidden, rng), Activation.gelu(), new Linear(hidden, out, rng)));
    return net;
  }

  /** The decoder from a vector of size {@code in} to {@code [N, 3, size, size]}. */
  public static Sequential decoder(int size, int nf, int hidden, int in, SplittableRandom rng) {
    return decoder(size, nf, hidden, in, SLOPE, rng);
  }

  /** The decoder with a chosen leaky-ReLU slope (1 makes the network smooth). */
  public static Sequential decoder(int size, int nf, int hidden, int in, float slope, SplittableRandom rng) {
    int blocks = blocks(size);
    checkWidths(nf, hidden, in);
    Sequential net = new Sequential();
    net.add("mlp", new Sequential(new Linear(in, hidden, rng), Activation.gelu(),
        new Linear(hidden, hidden, rng), Activation.gelu(), new Linear(hidden, hidden, rng)));
    net.add("unflatten", new Unflatten(hidden));
    int channels = nf << (blocks - 1);
    net.add("block1", new Sequential(new ConvTranspose2d(hidden, channels, 4, 1, 0, true, rng),
        BatchNorm.channels(channels), Activation.leakyRelu(slope)));
    for (int b = 1; b < blocks; b++) {
      int next = channels / 2;
      net.add("block" + (b + 1), new Sequential(new ConvTranspose2d(channels, next, 4, 2, 1, true, rng),
          BatchNorm.channels(next), Activation.leakyRelu(slope)));
      channels = next;
    }
    net.add("out", new ConvTranspose2d(channels, 3, 4, 2, 1, true, rng));
    return net;
  }

  private static void checkWidths(int nf, int hidden, int io) {
    if (nf < 1 || hidden < 1 || io < 1) {
      throw new IllegalArgumentException("DCGAN: nf, hidden and the vector size must be >= 1, got "
          + nf + ", " + hidden + ", " + io);
    }
  }

  /** {@code [N, C, 1, 1] → [N, C]} (and any {@code [N, ...] → [N, prod]}). */
  static final class Flatten extends Module {
    @Override
    public Tensor forward(Tensor x) {
      return Ops.reshape(x, x.dim(0), -1);
    }
  }

  /** {@code [N, C] → [N, C, 1, 1]}. */
  static final class Unflatten extends Module {
    private final int channels;

    Unflatten(int channels) {
      this.channels = channels;
    }

    @Override
    public Tensor forward(Tensor x) {
      return Ops.reshape(x, x.dim(0), channels, 1, 1);
    }
  }
}
