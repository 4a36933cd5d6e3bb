package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import org.junit.jupiter.api.Test;
import org.vssf.testing.Allocations;

/**
 * Hot kernels allocate nothing per call once their thread-local workspaces exist. Checked on the
 * scalar path, whose loops allocate nothing even before JIT compilation (Vector API code allocates
 * boxed vectors until C2 compiles it, so the SIMD path is measured with JMH {@code -prof gc}).
 */
class AllocationTest {
  @Test
  void singleThreadedKernelsDoNotAllocate() {
    KernelSupport scalar = KernelProvider.scalar();
    int n = 300;
    float[] a = new float[n * n];
    float[] b = new float[n * n];
    float[] c = new float[n * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (i % 7) * 0.25f;
      b[i] = (i % 5) * 0.5f;
    }
    Runnable calls = () -> {
      Kernels.gemm(scalar, false, true, 70, 90, 300, 1f, a, 0, n, b, 0, n, 0.5f, c, 0, n, 1);
      Kernels.gemm(scalar, true, false, 40, 9, 33, 1f, a, 0, n, b, 0, n, 0f, c, 0, n, 1);
      scalar.gelu(n, a, 0, c, 0);
      scalar.geluBackward(n, a, 0, b, 0, c, 0);
      scalar.axpy(n, 2f, a, 0, c, 0);
      scalar.dot(n, a, 0, b, 0);
    };
    calls.run(); // creates the thread-local workspaces
    long allocated = Allocations.minBytesAllocatedBy(() -> {
      for (int rep = 0; rep < 5; rep++) {
        calls.run();
      }
    }, 3);
    assertEquals(0, allocated, "bytes allocated by 5 rounds of warm kernel calls");
  }
}
