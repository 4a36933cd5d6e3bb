package org.vssf.nn;

import java.util.SplittableRandom;
import org.vssf.linalg.GaussianBlocks;
import org.vssf.linalg.Kernels;

/**
 * Independent, reproducible random streams from one seed: {@code init} (weights), {@code data}
 * (batch order), {@code noise} (sampling), each a {@link SplittableRandom} split from the root in a
 * fixed order, so adding draws to one stream never shifts another. Single Gaussian draws use the
 * polar Box–Muller method on the given stream; bulk draws ({@link #fillGaussian}) the vectorised
 * generator {@link GaussianBlocks} seeded from it.
 */
public final class RandomStreams {
  private final long seed;
  private final SplittableRandom init;
  private final SplittableRandom data;
  private final SplittableRandom noise;

  /** Streams for {@code seed}. */
  public RandomStreams(long seed) {
    this.seed = seed;
    SplittableRandom root = new SplittableRandom(seed);
    this.init = root.split();
    this.data = root.split();
    this.noise = root.split();
  }

  /** The seed the streams came from. */
  public long seed() {
    return seed;
  }

  /** Stream for weight initialisation. */
  public SplittableRandom init() {
    return init;
  }

  /** Stream for data order and augmentation. */
  public SplittableRandom data() {
    return data;
  }

  /** Stream for sampling noise (e.g. reparameterised samples). */
  public SplittableRandom noise() {
    return noise;
  }

  /** One standard normal draw from {@code rng} (polar Box–Muller, one value per call). */
  public static double gaussian(SplittableRandom rng) {
    double u;
    double v;
    double s;
    do {
      u = 2 * rng.nextDouble() - 1;
      v = 2 * rng.nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    return u * Math.sqrt(-2 * Math.log(s) / s);
  }

  /**
   * Fills {@code out[from, to)} with standard normal draws: 32 words from {@code rng} seed the
   * vectorised Box–Muller generator {@link GaussianBlocks} (16 xoshiro128** lanes), which writes the
   * draws; bitwise the same with or without SIMD, and a different sequence from {@link #gaussian}.
   */
  public static void fillGaussian(SplittableRandom rng, float[] out, int from, int to) {
    if (from < 0 || to > out.length || from > to) {
      throw new IndexOutOfBoundsException("fillGaussian: range [" + from + ", " + to + ") of an array of "
          + out.length);
    }
    long[] seeds = new long[2 * GaussianBlocks.LANES];
    for (int i = 0; i < seeds.length; i++) {
      seeds[i] = rng.nextLong();
    }
    int[] state = GaussianBlocks.state(seeds);
    int blocks = (to - from) / GaussianBlocks.BLOCK;
    Kernels.gaussianBlocks(state, blocks, out, from);
    int done = from + blocks * GaussianBlocks.BLOCK;
    if (done < to) {
      float[] last = new float[GaussianBlocks.BLOCK];
      Kernels.gaussianBlocks(state, 1, last, 0);
      System.arraycopy(last, 0, out, done, to - done);
    }
  }
}
