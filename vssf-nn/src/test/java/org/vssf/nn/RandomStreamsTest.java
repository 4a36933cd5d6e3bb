package org.vssf.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;

/** The bulk normal generator against the exact normal law, and stream reproducibility. */
class RandomStreamsTest extends SeededTest {
  /** Thresholds c and the exact P(|X| > c) = erfc(c/√2), out to the tails. */
  private static final double[] C = {0.25, 0.5, 1, 1.5, 2, 2.5, 3, 3.442619855899, 4};
  private static final double[] TAIL = {0.8025873486341526, 0.6170750774519738, 0.31731050786291415,
      0.13361440253771617, 0.04550026389635844, 0.012419330651552278, 0.0026997960632601913,
      0.0005761085123916405, 6.334248366623993e-05};

  @Test
  void bulkDrawsMatchTheNormalLaw() {
    int n = 4_000_000;
    float[] x = new float[n];
    RandomStreams.fillGaussian(rng, x, 0, n);
    double s1 = 0;
    double s2 = 0;
    double s4 = 0;
    long[] beyond = new long[C.length];
    long positive = 0;
    for (float v : x) {
      double d = v;
      s1 += d;
      s2 += d * d;
      s4 += d * d * d * d;
      positive += d > 0 ? 1 : 0;
      for (int k = 0; k < C.length; k++) {
        if (Math.abs(d) > C[k]) {
          beyond[k]++;
        }
      }
    }
    // Five standard errors: mean (sd 1/√n), E x² (sd √2/√n), E x⁴ (sd √96/√n).
    assertEquals(0, s1 / n, 5 / Math.sqrt(n), "mean " + seedInfo());
    assertEquals(1, s2 / n, 5 * Math.sqrt(2.0 / n), "variance " + seedInfo());
    assertEquals(3, s4 / n, 5 * Math.sqrt(96.0 / n), "fourth moment " + seedInfo());
    assertEquals(0.5, (double) positive / n, 5 * 0.5 / Math.sqrt(n), "sign balance " + seedInfo());
    for (int k = 0; k < C.length; k++) {
      double p = TAIL[k];
      double sd = Math.sqrt(p * (1 - p) / n);
      assertEquals(p, (double) beyond[k] / n, 5 * sd, "P(|X| > " + C[k] + ") " + seedInfo());
    }
  }

  @Test
  void fillIsReproducibleAndRespectsTheRange() {
    float[] a = new float[1000];
    float[] b = new float[1000];
    RandomStreams.fillGaussian(new SplittableRandom(7), a, 10, 990);
    RandomStreams.fillGaussian(new SplittableRandom(7), b, 10, 990);
    assertArrayEquals(a, b);
    assertEquals(0f, a[9]);
    assertEquals(0f, a[990]);
    assertTrue(a[10] != 0f && a[989] != 0f);
    assertThrows(IndexOutOfBoundsException.class, () -> RandomStreams.fillGaussian(rng, a, 5, 1001));
    assertThrows(IndexOutOfBoundsException.class, () -> RandomStreams.fillGaussian(rng, a, 6, 5));
  }

  @Test
  void streamsAreIndependentOfEachOthersUse() {
    RandomStreams r1 = new RandomStreams(42);
    RandomStreams r2 = new RandomStreams(42);
    for (int i = 0; i < 100; i++) {
      r1.init().nextLong();
    }
    assertEquals(r2.noise().nextLong(), r1.noise().nextLong());
    assertEquals(42, r1.seed());
  }
}
