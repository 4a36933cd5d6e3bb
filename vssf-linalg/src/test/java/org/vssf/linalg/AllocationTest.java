package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

  /**
   * Warm single-threaded convolution calls (packing, column matrices, GEMMs, the kept packed
   * input) allocate nothing. Conv2d runs on the active implementation, so this runs where the
   * scalar kernels are active.
   */
  @Test
  void singleThreadedConvolutionDoesNotAllocate() {
    assumeTrue(Kernels.support() == KernelProvider.scalar(), "scalar kernels active");
    ConvGeometry[] geoms = {ConvGeometry.conv(9, 5, 12, 12, 6, 4, 2, 1),
      ConvGeometry.conv(3, 4, 21, 17, 3, 3, 1, 1), ConvGeometry.transposed(7, 6, 4, 4, 5, 4, 2, 1)};
    float[][] xs = new float[geoms.length][];
    float[][] ws = new float[geoms.length][];
    float[][] ys = new float[geoms.length][];
    float[][] packed = new float[geoms.length][];
    for (int g = 0; g < geoms.length; g++) {
      xs[g] = new float[geoms[g].inputSize()];
      ws[g] = new float[geoms[g].weightSize()];
      ys[g] = new float[geoms[g].outputSize()];
      for (int i = 0; i < xs[g].length; i++) {
        xs[g][i] = (i % 11) * 0.1f;
      }
      for (int i = 0; i < ws[g].length; i++) {
        ws[g][i] = (i % 7) * 0.2f - 0.5f;
      }
      packed[g] = geoms[g].isTransposed() ? null : new float[Conv2d.packedInputSize(geoms[g])];
    }
    float[] dx = new float[16384];
    float[] dw = new float[16384];
    float[] bias = new float[8];
    Runnable calls = () -> {
      for (int g = 0; g < geoms.length; g++) {
        ConvGeometry geom = geoms[g];
        if (geom.isTransposed()) {
          Conv2d.transposedForward(geom, xs[g], 0, ws[g], 0, bias, 0, ys[g], 0, 1);
          Conv2d.transposedBackwardInput(geom, ys[g], 0, ws[g], 0, dx, 0, false, 1);
          Conv2d.transposedBackwardWeight(geom, xs[g], 0, ys[g], 0, dw, 0, true, 1);
        } else {
          Conv2d.forward(geom, xs[g], 0, ws[g], 0, bias, 0, ys[g], 0, packed[g], 0, 1);
          Conv2d.backwardInput(geom, ys[g], 0, ws[g], 0, dx, 0, false, 1);
          Conv2d.backwardWeight(geom, xs[g], 0, ys[g], 0, dw, 0, false, 1);
          Conv2d.backwardWeightFromPacked(geom, packed[g], 0, ys[g], 0, dw, 0, true, 1);
        }
      }
    };
    calls.run(); // creates the thread-local workspaces
    long allocated = Allocations.minBytesAllocatedBy(() -> {
      for (int rep = 0; rep < 3; rep++) {
        calls.run();
      }
    }, 3);
    assertEquals(0, allocated, "bytes allocated by 3 rounds of warm convolution calls");
  }
}
