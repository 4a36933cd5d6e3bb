package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;

/**
 * The block normal generator: bitwise the same in every implementation, a pure function of its
 * state (so the split of a fill into calls does not matter), its transcendental parts accurate,
 * and its pairs uncorrelated. The normal law itself is tested on the bulk draws of {@code
 * RandomStreams.fillGaussian} (vssf-nn).
 */
class GaussianBlocksTest extends SeededTest {
  private int[] freshState() {
    long[] seeds = new long[2 * GaussianBlocks.LANES];
    for (int i = 0; i < seeds.length; i++) {
      seeds[i] = rng.nextLong();
    }
    return GaussianBlocks.state(seeds);
  }

  @Test
  void everyImplementationGivesTheSameBitsAndAdvancesTheStateAlike() {
    int[] seed = freshState();
    int blocks = 517;
    float[] reference = null;
    int[] referenceState = null;
    for (KernelSupport k : KernelImplementations.all()) {
      int[] st = seed.clone();
      float[] out = new float[3 + blocks * GaussianBlocks.BLOCK + 2];
      k.gaussianBlocks(st, blocks, out, 3);
      assertEquals(0f, out[0]);
      assertEquals(0f, out[out.length - 1]);
      if (reference == null) {
        reference = out;
        referenceState = st;
      } else {
        assertArrayEquals(reference, out, k.name() + " vs scalar " + seedInfo());
        assertArrayEquals(referenceState, st, k.name() + " state " + seedInfo());
      }
      // One call of 2 + (blocks − 2) blocks gives what one call of all blocks gives.
      int[] st2 = seed.clone();
      float[] split = new float[out.length];
      k.gaussianBlocks(st2, 2, split, 3);
      k.gaussianBlocks(st2, blocks - 2, split, 3 + 2 * GaussianBlocks.BLOCK);
      assertArrayEquals(out, split, k.name() + " split " + seedInfo());
      assertArrayEquals(st, st2);
    }
  }

  @Test
  void theStateIsXoshiro128StarStarPerLane() {
    // Lane 0 from words (1, 2, 3, 4): the reference outputs of xoshiro128** (Blackman and Vigna's C
    // code) are 11520, 0, 5927040, 70819200; the generator uses two per block.
    long[] seeds = new long[2 * GaussianBlocks.LANES];
    seeds[0] = 1L | (2L << 32);
    seeds[1] = 3L | (4L << 32);
    int[] st = GaussianBlocks.state(seeds);
    int[] expected = {11520, 0, 5927040, 70819200};
    float[] out = new float[2 * GaussianBlocks.BLOCK];
    KernelProvider.scalar().gaussianBlocks(st, 2, out, 0);
    for (int k = 0; k < 2; k++) {
      int a = expected[2 * k];
      int b = expected[2 * k + 1];
      double u = 1 - (a >>> 9) * 0x1.0p-23;
      double phi = (b >>> 9) * 0x1.0p-23 * Math.PI / 4;
      double r = Math.sqrt(-2 * Math.log(u));
      double c = (a & 4) != 0 ? Math.sin(phi) : Math.cos(phi);
      double s = (a & 4) != 0 ? Math.cos(phi) : Math.sin(phi);
      double z0 = (a & 1) != 0 ? -r * c : r * c;
      double z1 = (a & 2) != 0 ? -r * s : r * s;
      assertEquals(z0, out[GaussianBlocks.BLOCK * k], 2e-6 * Math.max(1, Math.abs(z0)), "block " + k);
      assertEquals(z1, out[GaussianBlocks.BLOCK * k + GaussianBlocks.LANES], 2e-6 * Math.max(1, Math.abs(z1)),
          "block " + k);
    }
  }

  @Test
  void drawsMatchBoxMullerInDoubleFromTheSameBits() {
    // Re-derive every draw of the first lanes from the scalar state in double precision.
    int[] st = freshState();
    int blocks = 4000;
    float[] out = new float[blocks * GaussianBlocks.BLOCK];
    int[] copy = st.clone();
    Kernels.gaussianBlocks(st, blocks, out, 0);
    double worst = 0;
    for (int j = 0; j < GaussianBlocks.LANES; j++) {
      int s0 = copy[j];
      int s1 = copy[GaussianBlocks.LANES + j];
      int s2 = copy[2 * GaussianBlocks.LANES + j];
      int s3 = copy[3 * GaussianBlocks.LANES + j];
      for (int k = 0; k < blocks; k++) {
        int[] ab = new int[2];
        for (int h = 0; h < 2; h++) {
          ab[h] = Integer.rotateLeft(s1 * 5, 7) * 9;
          int t = s1 << 9;
          s2 ^= s0;
          s3 ^= s1;
          s1 ^= s2;
          s0 ^= s3;
          s2 ^= t;
          s3 = Integer.rotateLeft(s3, 11);
        }
        int a = ab[0];
        double u = 1 - (a >>> 9) * 0x1.0p-23;
        double phi = (ab[1] >>> 9) * 0x1.0p-23 * Math.PI / 4;
        double r = Math.sqrt(-2 * Math.log(u));
        double c = (a & 4) != 0 ? Math.sin(phi) : Math.cos(phi);
        double s = (a & 4) != 0 ? Math.cos(phi) : Math.sin(phi);
        double z0 = (a & 1) != 0 ? -r * c : r * c;
        double z1 = (a & 2) != 0 ? -r * s : r * s;
        worst = Math.max(worst, Math.abs(z0 - out[GaussianBlocks.BLOCK * k + j]) / Math.max(1, Math.abs(z0)));
        worst = Math.max(worst, Math.abs(z1 - out[GaussianBlocks.BLOCK * k + GaussianBlocks.LANES + j])
            / Math.max(1, Math.abs(z1)));
      }
    }
    // float32 rounding of log, sqrt, sin/cos and the products: a few ulps of 1.
    assertTrue(worst < 1e-6, "largest error " + worst + " " + seedInfo());
  }

  @Test
  void pairsAndLanesAreUncorrelated() {
    int blocks = 40_000;
    float[] out = new float[blocks * GaussianBlocks.BLOCK];
    Kernels.gaussianBlocks(freshState(), blocks, out, 0);
    int n = blocks * GaussianBlocks.LANES;
    // cos/sin partners, neighbouring lanes, and consecutive blocks of one lane.
    double pair = 0;
    double lane = 0;
    double next = 0;
    double squares = 0; // corr of z0², z1²: Box–Muller partners are independent, not just uncorrelated
    for (int k = 0; k < blocks; k++) {
      int o = GaussianBlocks.BLOCK * k;
      for (int j = 0; j < GaussianBlocks.LANES; j++) {
        double z0 = out[o + j];
        double z1 = out[o + GaussianBlocks.LANES + j];
        pair += z0 * z1;
        squares += (z0 * z0 - 1) * (z1 * z1 - 1) / 2;
        lane += z0 * out[o + (j + 1) % GaussianBlocks.LANES];
        if (k + 1 < blocks) {
          next += z0 * out[o + GaussianBlocks.BLOCK + j];
        }
      }
    }
    double bound = 5 / Math.sqrt(n);
    assertEquals(0, pair / n, bound, "partners " + seedInfo());
    assertEquals(0, squares / n, bound * 2, "partners' squares " + seedInfo());
    assertEquals(0, lane / n, bound, "lanes " + seedInfo());
    assertEquals(0, next / n, bound, "blocks " + seedInfo());
  }

  @Test
  void badArgumentsAreNamed() {
    float[] out = new float[64];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Kernels.gaussianBlocks(new int[10], 1, out, 0));
    assertTrue(e.getMessage().contains("state"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Kernels.gaussianBlocks(freshState(), -1, out, 0));
    assertThrows(IllegalArgumentException.class, () -> Kernels.gaussianBlocks(freshState(), 3, out, 0));
    assertThrows(IllegalArgumentException.class, () -> Kernels.gaussianBlocks(freshState(), 1, out, 40));
    assertThrows(IllegalArgumentException.class, () -> GaussianBlocks.state(new long[3]));
    // An all-zero lane (which xoshiro could never leave) is replaced.
    int[] st = GaussianBlocks.state(new long[2 * GaussianBlocks.LANES]);
    int blocks = 8;
    float[] z = new float[blocks * GaussianBlocks.BLOCK];
    Kernels.gaussianBlocks(st, blocks, z, 0);
    int nonZero = 0;
    for (int k = 0; k < blocks; k++) {
      nonZero += z[k * GaussianBlocks.BLOCK] != 0f ? 1 : 0;
    }
    assertTrue(nonZero >= blocks - 2, "lane 0 of a zero seed stays at 0: " + nonZero + " of " + blocks);
  }
}
