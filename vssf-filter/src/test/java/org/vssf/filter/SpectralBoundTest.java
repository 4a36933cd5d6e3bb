package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.GradCheck;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.testing.SeededTest;

/** The spectrally bounded A: its norm bound, identity below the bound, and its gradient. */
class SpectralBoundTest extends SeededTest {
  /** Largest singular value of a 2×2 matrix, in closed form. */
  private static double sigmaMax(float[] a) {
    double p = a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + a[3] * a[3];
    double det = a[0] * a[3] - a[1] * a[2];
    return Math.sqrt((p + Math.sqrt(Math.max(0, p * p - 4 * det * det))) / 2);
  }

  private static LinearGaussianDynamics dynamics(float[] w, boolean learn) {
    float[] eye = {1, 0, 0, 1};
    return new LinearGaussianDynamics(2, 0, eye, w, null, new float[] {0.01f, 0, 0, 0.01f}, learn, false, false);
  }

  @Test
  void boundsTheSpectralNormAndLeavesSmallMatricesAlone() {
    try (Tape.Scope noGrad = Tape.noGrad()) {
      float[] big = {1.5f, 0.8f, -0.3f, 1.2f};
      Tensor a = dynamics(big, false).withSpectralBound(0.99f).dynamicsMatrix();
      assertEquals(0.99, sigmaMax(a.data()), 1e-5);
      float[] small = {0.5f, 0.1f, 0f, 0.6f};
      assertArrayEquals(small, dynamics(small, false).withSpectralBound(0.99f).dynamicsMatrix().data());
      float[] identity = {1, 0, 0, 1};
      assertArrayEquals(new float[] {0.99f, 0, 0, 0.99f},
          dynamics(identity, false).withSpectralBound(0.99f).dynamicsMatrix().data(), 1e-6f);
    }
  }

  @Test
  void elboGradientFlowsThroughTheBound() {
    // W well above the bound (σ ≈ 1.9 > 0.99), so the map is smooth where differences are taken.
    LinearGaussianDynamics d = dynamics(new float[] {1.5f, 0.8f, -0.3f, 1.2f}, true).withSpectralBound(0.99f);
    LinearSensor s = new LinearSensor(2, 2, new float[] {1, 0, 0, 1}, new float[] {0.05f, 0, 0, 0.05f});
    Tensor x = Tensor.wrap(randomFloats(2 * 4 * 2), 2, 4, 2);
    Tensor w = d.parameters().get(0);
    GradCheck.check("ELBO w.r.t. W under the spectral bound" + seedInfo(), t -> {
      FilterResult r = InformationFilter.run(d, List.of(s), List.of(x), null, null);
      BackwardSampler.Samples z = BackwardSampler.sample(d, r, null, 1, new SplittableRandom(2));
      return Elbo.compute(d, List.of(s), List.of(x), null, null, z, 1f).elbo;
    }, rng, 1e-2, 5e-3, w);
    assertTrue(sigmaMax(d.dynamicsMatrix().data()) <= 0.99 + 1e-5);
  }
}
