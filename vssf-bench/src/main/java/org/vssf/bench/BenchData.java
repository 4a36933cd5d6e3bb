package org.vssf.bench;

import java.util.SplittableRandom;
import org.vssf.linalg.KernelProvider;
import org.vssf.linalg.KernelSupport;

/** Shared benchmark inputs: seeded data and the kernel implementation named by a parameter. */
public final class BenchData {
  private BenchData() {}

  /** {@code n} floats uniform in [-1, 1) from {@code rng}. */
  public static float[] uniform(SplittableRandom rng, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (2 * rng.nextDouble() - 1);
    }
    return x;
  }

  /**
   * The implementation named {@code simd} or {@code scalar}; {@code simd} fails loudly when the
   * Vector API kernels did not load, so a benchmark never silently measures the wrong code.
   */
  public static KernelSupport implementation(String name) {
    switch (name) {
      case "scalar":
        return KernelProvider.scalar();
      case "simd":
        KernelSupport s = KernelProvider.simdOrNull();
        if (s == null) {
          throw new IllegalStateException("SIMD kernels unavailable: " + KernelProvider.simdUnavailableReason());
        }
        return s;
      default:
        throw new IllegalArgumentException("impl must be 'simd' or 'scalar', got '" + name + "'");
    }
  }
}
