package org.vssf.testing;

import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * Base class for randomised tests: a {@link SplittableRandom} seeded per test method (from
 * {@code -Dvssf.test.seed=N} when given, otherwise from the test's name), with the seed available
 * for failure messages via {@link #seedInfo()} so any failure can be replayed exactly.
 */
public abstract class SeededTest {
  /** The random source of the current test method. */
  protected SplittableRandom rng;

  /** The seed of {@link #rng}. */
  protected long seed;

  @BeforeEach
  void seedRandom(TestInfo info) {
    String fixed = System.getProperty("vssf.test.seed");
    seed = fixed != null && !fixed.isEmpty()
        ? Long.parseLong(fixed.trim())
        : (info.getTestClass().map(Class::getName).orElse("") + "#" + info.getDisplayName()).hashCode();
    rng = new SplittableRandom(seed);
  }

  /** {@code " [seed=N; replay with -Dvssf.test.seed=N]"}, for assertion messages. */
  protected String seedInfo() {
    return " [seed=" + seed + "; replay with -Dvssf.test.seed=" + seed + "]";
  }

  /** {@code n} floats uniform in {@code [-1, 1)}. */
  protected float[] randomFloats(int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (2 * rng.nextDouble() - 1);
    }
    return x;
  }

  /** {@code n} floats from N(0, σ²). */
  protected float[] gaussianFloats(int n, double sigma) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (sigma * gaussian());
    }
    return x;
  }

  /** One standard normal draw (Box–Muller on {@link #rng}). */
  protected double gaussian() {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
