package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.GradCheck;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.testing.SeededTest;

/** The image sensor: its Gaussian factor, and gradchecks of the whole ELBO through it. */
class ImageSensorTest extends SeededTest {
  private static final int M = 2;
  private static final int S = 16;

  private Tensor images(int b, int t) {
    return Tensor.wrap(randomFloats(b * t * 3 * S * S), b, t, 3, S, S);
  }

  @Test
  void precisionAndInfoFollowTheFormulas() {
    ImageSensor sensor = new ImageSensor(M, S, 2, 0.5f, 0.01f, 2f, 0f, new SplittableRandom(1));
    try (Tape.Scope noGrad = Tape.noGrad()) {
      // L = 0.5·I: Λx = (0.25 + 0.01)⁻¹ I.
      assertArrayEquals(new float[] {1 / 0.26f, 0, 0, 1 / 0.26f}, sensor.precision().data(), 1e-5f);
      Tensor x = images(2, 3);
      Sensor.Contribution c = sensor.contribution(x, null);
      assertArrayEquals(new int[] {2, 3, M}, c.info.shape());
      float[] enc = sensor.encoder().forward(Tensor.wrap(x.data(), 6, 3, S, S)).data();
      for (int i = 0; i < enc.length; i++) {
        assertEquals(10 * Math.tanh(enc[i]) / 0.26, c.info.data()[i], 2e-4 * Math.max(1, Math.abs(c.info.data()[i])));
      }
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> sensor.contribution(Tensor.zeros(2, 3, 3, 8, 8), null));
    assertEquals("ImageSensor: images must be [B, T, 3, 16, 16], got [2, 3, 3, 8, 8]", e.getMessage());
  }

  @Test
  void latentReflectionMirrorsTheFactorAndTheDecoder() {
    for (boolean perImage : new boolean[] {false, true}) {
      for (float[] d : new float[][] {{-1f, -1f}, {-1f, 1f}}) {
        String what = "perImage " + perImage + ", D = diag" + java.util.Arrays.toString(d);
        ImageSensor sensor = new ImageSensor(M, S, 2, 0.5f, 0.01f, 2f, 0f, perImage, new SplittableRandom(1));
        sensor.namedParameters().get("L").data()[2] = 0.2f; // a full Λx, so DΛxD differs from Λx
        Tensor x = images(2, 3);
        float[] zs = randomFloats(2 * 3 * M);
        float[] dz = zs.clone();
        for (int i = 0; i < dz.length; i++) {
          dz[i] *= d[i % M];
        }
        java.util.Map<String, float[]> before = new java.util.LinkedHashMap<>();
        sensor.namedParameters().forEach((k, v) -> before.put(k, v.data().clone()));
        java.util.Map<Tensor, float[]> reflection = sensor.latentReflection(d);
        try (Tape.Scope noGrad = Tape.noGrad()) {
          Sensor.Contribution c = sensor.contribution(x, null);
          float[] ll = sensor.logLikelihood(x, Tensor.wrap(zs, 2, 3, M)).data();
          apply(reflection);
          Sensor.Contribution r = sensor.contribution(x, null);
          float[] p = c.precision.data();
          float[] q = r.precision.data();
          for (int i = 0; i < p.length; i++) { // Λx → DΛxD, per frame with per-image precision
            int row = i / M % M;
            int col = i % M;
            assertEquals(d[row] * d[col] * p[i], q[i], 1e-5f * Math.max(1f, Math.abs(p[i])), what + ": Λx " + i);
          }
          float[] info = c.info.data();
          for (int i = 0; i < info.length; i++) { // ηx = Λxμ → DΛxD·Dμ = D ηx
            assertEquals(d[i % M] * info[i], r.info.data()[i], 1e-5f * Math.max(1f, Math.abs(info[i])),
                what + ": ηx " + i);
          }
          assertArrayEquals(ll, sensor.logLikelihood(x, Tensor.wrap(dz, 2, 3, M)).data(),
              what + ": the decoder reads Dz as it read z");
          apply(reflection);
        }
        sensor.namedParameters().forEach((k, v) -> assertArrayEquals(before.get(k), v.data(), what + " twice: " + k));
      }
    }
    assertThrows(IllegalArgumentException.class,
        () -> new ImageSensor(M, S, 2, 0.5f, 0.01f, 2f, 0f, new SplittableRandom(1)).latentReflection(new float[3]));
  }

  @Test
  void latentPermutationSwapsTheFactorAndTheDecoderExactly() {
    ImageSensor sensor = new ImageSensor(M, S, 2, 0.5f, 0.01f, 2f, 0f, new SplittableRandom(1)).withLatentOffset();
    sensor.namedParameters().get("L").data()[2] = 0.2f; // a full Λx
    sensor.latentShift(new double[] {0.4, -0.9});
    Tensor x = images(2, 3);
    Tensor frames = Tensor.wrap(x.data(), 6, 3, S, S);
    int[] source = {1, 0};
    float[] sign = {-1f, 1f}; // (Pz) = (−z₂, z₁): a quarter turn
    float[] zs = randomFloats(2 * 3 * M);
    float[] pz = new float[zs.length];
    for (int i = 0; i < zs.length; i += M) {
      pz[i] = -zs[i + 1];
      pz[i + 1] = zs[i];
    }
    try (Tape.Scope noGrad = Tape.noGrad()) {
      float[] mu = sensor.means(frames).data();
      float[] lambda = sensor.precision().data();
      float[] ll = sensor.logLikelihood(x, Tensor.wrap(zs, 2, 3, M)).data();
      sensor.latentPermutation(source, sign).forEach((t, g) -> g.apply(t));
      float[] mu2 = sensor.means(frames).data();
      for (int i = 0; i < mu.length; i += M) {
        assertEquals(-mu[i + 1], mu2[i], 1e-5, "μ'₁ = −μ₂");
        assertEquals(mu[i], mu2[i + 1], 1e-5, "μ'₂ = μ₁");
      }
      float[] l2 = sensor.precision().data(); // PΛPᵀ: (Λ₂₂, −Λ₂₁; −Λ₁₂, Λ₁₁)
      assertArrayEquals(new float[] {lambda[3], -lambda[2], -lambda[1], lambda[0]}, l2, 1e-4f);
      assertArrayEquals(ll, sensor.logLikelihood(x, Tensor.wrap(pz, 2, 3, M)).data(), "the decoder reads Pz as z");
    }
    assertThrows(IllegalArgumentException.class, () -> sensor.latentPermutation(new int[] {0, 0}, new float[] {1, 1}));
    assertThrows(IllegalArgumentException.class, () -> sensor.latentPermutation(new int[] {1, 0}, new float[] {2, 1}));
    ImageSensor perImage = new ImageSensor(M, S, 2, 0.5f, 0.01f, 2f, 0f, true, new SplittableRandom(1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> perImage.latentPermutation(source, sign));
    assertEquals("ImageSensor.latentPermutation: with per-image precision only reflections can be expressed"
        + " (P·L(x) is not lower triangular)", e.getMessage());
  }

  @Test
  void latentShiftMovesTheMeansAndTheDecoderExactly() {
    for (boolean perImage : new boolean[] {false, true}) {
      String what = "perImage " + perImage;
      ImageSensor sensor = new ImageSensor(M, S, 2, 0.5f, 0.01f, 2f, 0f, perImage, new SplittableRandom(1))
          .withLatentOffset();
      assertEquals(sensor, sensor.withLatentOffset(), "a second call adds nothing");
      Tensor x = images(2, 3);
      Tensor frames = Tensor.wrap(x.data(), 6, 3, S, S);
      double[] delta = {0.7, -1.3};
      float[] zs = randomFloats(2 * 3 * M);
      float[] moved = zs.clone();
      for (int i = 0; i < moved.length; i++) {
        moved[i] += (float) delta[i % M];
      }
      try (Tape.Scope noGrad = Tape.noGrad()) {
        float[] mu = sensor.means(frames).data();
        float[] enc = sensor.encoder().forward(frames).data();
        int width = enc.length / 6;
        for (int i = 0; i < mu.length; i++) { // zero offset at first
          assertEquals(10 * Math.tanh(enc[i / M * width + i % M]), mu[i], 1e-5, what + ": μ " + i);
        }
        float[] lambda = sensor.contribution(x, null).precision.data();
        float[] ll = sensor.logLikelihood(x, Tensor.wrap(zs, 2, 3, M)).data();
        sensor.latentShift(delta);
        float[] shifted = sensor.means(frames).data();
        for (int i = 0; i < mu.length; i++) {
          assertEquals(mu[i] + delta[i % M], shifted[i], 1e-5, what + ": μ + δ " + i);
        }
        assertArrayEquals(lambda, sensor.contribution(x, null).precision.data(), what + ": Λx unchanged");
        assertArrayEquals(new float[] {0.7f, -1.3f}, sensor.latentOffset().data(), what + ": offset");
        float[] got = sensor.logLikelihood(x, Tensor.wrap(moved, 2, 3, M)).data();
        for (int i = 0; i < ll.length; i++) {
          assertEquals(ll[i], got[i], 1e-5 * Math.abs(ll[i]), what + ": the decoder reads z + δ as it read z");
        }
        // A reflection now also mirrors the offset: μ → Dμ.
        float[] d = {-1f, 1f};
        apply(sensor.latentReflection(d));
        float[] mirrored = sensor.means(frames).data();
        for (int i = 0; i < mu.length; i++) {
          assertEquals(d[i % M] * shifted[i], mirrored[i], 1e-5, what + ": Dμ " + i);
        }
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> sensor.latentShift(new double[] {Double.NaN, 0}));
      assertEquals("ImageSensor.latentShift: shift [NaN, 0.0] is not finite", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> sensor.latentShift(new double[3]));
    }
    ImageSensor plain = new ImageSensor(M, S, 2, 0.5f, 0.01f, 2f, 0f, new SplittableRandom(1));
    assertEquals(null, plain.latentOffset());
    assertEquals(false, plain.namedBuffers().containsKey("offset"), "no offset unless asked: old models load");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> plain.latentShift(new double[2]));
    assertEquals("ImageSensor.latentShift: the sensor has no latent offset; build it withLatentOffset()",
        e.getMessage());
  }

  private static void apply(java.util.Map<Tensor, float[]> reflection) {
    for (java.util.Map.Entry<Tensor, float[]> e : reflection.entrySet()) {
      for (int i = 0; i < e.getValue().length; i++) {
        e.getKey().data()[i] *= e.getValue()[i];
      }
    }
  }

  @Test
  void placeholdersForMissingFramesDoNotChangeThePresentOnes() {
    // Batch norm in training mode would mix a placeholder into the statistics of the present
    // frames; with the mask the sensor encodes only the present frames.
    ImageSensor sensor = new ImageSensor(M, S, 2, 0.5f, 0.01f, 2f, 0f, new SplittableRandom(1));
    Tensor mask = Tensor.wrap(new float[] {1, 1, 0}, 1, 3);
    float[] frames = randomFloats(3 * 3 * S * S);
    float[] other = frames.clone();
    int frame = 3 * S * S;
    for (int i = 2 * frame; i < 3 * frame; i++) {
      other[i] = -1f; // a different placeholder for the missing third frame
    }
    try (Tape.Scope noGrad = Tape.noGrad()) {
      float[] a = sensor.contribution(Tensor.wrap(frames, 1, 3, 3, S, S), mask).info.data();
      float[] b = sensor.contribution(Tensor.wrap(other, 1, 3, 3, S, S), mask).info.data();
      assertArrayEquals(a, b, "information of the present frames");
      assertEquals(0f, a[2 * M] * a[2 * M] + a[2 * M + 1] * a[2 * M + 1], "a missing frame contributes nothing");
    }
  }

  @Test
  void masksAndPlaceholdersAreValidated() {
    float[] eye = {1, 0, 0, 1};
    LinearGaussianDynamics d = new LinearGaussianDynamics(M, 0, eye, eye, null, eye, false, false, false);
    LinearSensor lin = new LinearSensor(1, M, new float[] {1f, 0f}, new float[] {0.1f});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InformationFilter.run(d,
        List.of(lin), List.of(Tensor.zeros(1, 2, 1)), List.of(Tensor.wrap(new float[] {1, 0.5f}, 1, 2)), null));
    assertEquals("InformationFilter: mask of sensor 0 is 0.5 at (b=0, t=1); masks hold 0 (missing) or 1"
        + " (present)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> InformationFilter.run(d, List.of(lin),
        List.of(Tensor.wrap(new float[] {0f, Float.NaN}, 1, 2, 1)), List.of(Tensor.wrap(new float[] {1, 0}, 1, 2)), null));
    assertEquals("InformationFilter: observation of sensor 0 at (b=0, t=1) contains NaN (missing"
        + " observations need a finite placeholder such as 0 and mask 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new LinearSensor(2, M, new float[] {1, 0, 0, 1}, new float[] {1, 5, 0.5f, 1}));
    assertEquals("LinearSensor: emissionCov must be finite and symmetric; entry (0,1) is 5.0, (1,0) is 0.5",
        e.getMessage());
  }

  @Test
  void gradientClippingReachesTheLatents() {
    // With clipping at 1e-3 the decoder's gradient into each latent (norm ≫ 1e-3 here) is
    // rescaled, so the latents' gradient must be smaller than without clipping.
    float[] norms = new float[2];
    for (int k = 0; k < 2; k++) {
      ImageSensor image = new ImageSensor(M, S, 2, 0.3f, 0.01f, 2f, k == 0 ? 0f : 1e-3f, new SplittableRandom(2));
      Tensor z = Tensor.wrap(randomFloats(2 * 3 * M), 2, 3, M).requiresGrad(true);
      org.vssf.autodiff.Ops.sum(image.logLikelihood(images(2, 3), z)).backward();
      double n = 0;
      for (float g : z.grad()) {
        n += g * g;
      }
      norms[k] = (float) Math.sqrt(n);
    }
    assertEquals(true, norms[1] < 1e-3f * Math.sqrt(6) * 1.0001f && norms[0] > 1e-2f,
        "unclipped " + norms[0] + ", clipped " + norms[1]);
  }

  @Test
  void elboGradchecksThroughTheImageSensor() {
    // A tiny sensor (16×16, nf = 2) with a linear sensor beside it, learned A. The latent samples
    // pass through the decoder, so a finite-difference step in L, the encoder or A could cross a
    // leaky-ReLU kink there; the networks are built with slope 1 (smooth), every other part as in
    // the model. (Leaky ReLU's own gradient is checked away from its kink in vssf-autodiff.)
    // Tolerance 2e-2: 6 frames of 768 pixels make |ELBO| ~ 10³, whose float32 rounding leaves
    // ~5e-3 absolute noise in a difference quotient at h = 2e-2 (seen: 0.0049 on a gradient of
    // 0.31), against gradients of order 0.3–30; a wrong factor, sign or term is far outside.
    // No gradient clipping here: it changes the backward pass on purpose (identity forward), so
    // finite differences cannot see it; it has its own exact test in vssf-autodiff.
    ImageSensor image = new ImageSensor(M, S, 2, 0.3f, 0.01f, 2f, 0f, false, 1f, new SplittableRandom(2));
    float[] eye = {1, 0, 0, 1};
    LinearGaussianDynamics dyn = new LinearGaussianDynamics(M, 0, eye, new float[] {0.9f, 0.1f, 0f, 0.95f},
        null, new float[] {0.01f, 0, 0, 0.01f}, true, false, false);
    LinearSensor linear = new LinearSensor(1, M, new float[] {1f, 0f}, new float[] {0.05f});
    Tensor x = images(2, 3);
    Tensor y = Tensor.wrap(randomFloats(2 * 3), 2, 3, 1);
    List<Sensor> sensors = List.of(image, linear);
    List<Tensor> obs = List.of(x, y);
    List<Tensor> masks = List.of(Tensor.wrap(new float[] {1, 0, 1, 1, 1, 0}, 2, 3), Tensor.full(1f, 2, 3));
    Tensor l = image.namedParameters().get("L");
    Tensor encLast = image.namedParameters().get("encoder.mlp.4.weight");
    Tensor decOut = image.namedParameters().get("decoder.out.weight");
    Tensor a = dyn.dynamicsMatrix();
    java.util.function.Function<Tensor[], Tensor> elbo = t -> {
      FilterResult r = InformationFilter.run(dyn, sensors, obs, masks, null);
      BackwardSampler.Samples s = BackwardSampler.sample(dyn, r, null, 2, new SplittableRandom(9));
      return Elbo.compute(dyn, sensors, obs, masks, null, s, 1f).elbo;
    };
    GradCheck.check("ELBO through the image sensor: L, encoder, A" + seedInfo(), elbo, rng, 2e-2, 2e-2,
        l, encLast, a);
    // The reconstruction is exactly quadratic in the decoder's output layer (z does not depend on
    // it), so the fourth-order difference is exact at any step: a large step divides the rounding
    // noise of the likelihood's normalising constant (|ELBO| ≈ 7·10³) instead.
    GradCheck.check("ELBO through the image sensor: decoder output layer" + seedInfo(), elbo, rng,
        1e-1, 5e-3, decOut);
  }

  @Test
  void perImagePrecisionIsPositiveDefiniteAndDifferentiable() {
    ImageSensor image = new ImageSensor(M, S, 2, 0.3f, 0.01f, 2f, 0f, true, 1f, new SplittableRandom(4));
    Tensor x = images(2, 3);
    Tensor mask = Tensor.wrap(new float[] {1, 1, 0, 1, 1, 1}, 2, 3);
    try (Tape.Scope noGrad = Tape.noGrad()) {
      Sensor.Contribution c = image.contribution(x, mask);
      assertArrayEquals(new int[] {2, 3, M, M}, c.precision.shape());
      float[] p = c.precision.data();
      for (int f = 0; f < 6; f++) { // 2×2 SPD: positive diagonal and determinant
        float a = p[f * 4];
        float b = p[f * 4 + 1];
        float d = p[f * 4 + 3];
        assertEquals(b, p[f * 4 + 2], 1e-3f * Math.abs(b) + 1e-6f, "symmetric");
        org.junit.jupiter.api.Assertions.assertTrue(a > 0 && d > 0 && a * d - b * b > 0, "frame " + f);
      }
      org.junit.jupiter.api.Assertions.assertNotEquals(p[0], p[4], "frames get their own precision");
    }
    float[] eye = {1, 0, 0, 1};
    LinearGaussianDynamics dyn = new LinearGaussianDynamics(M, 0, eye, new float[] {0.9f, 0.1f, 0f, 0.95f},
        null, new float[] {0.01f, 0, 0, 0.01f}, false, false, false);
    Tensor encLast = image.namedParameters().get("encoder.mlp.4.weight");
    GradCheck.check("ELBO with per-image precision" + seedInfo(), t -> {
      FilterResult r = InformationFilter.run(dyn, List.of(image), List.of(x), List.of(mask), null);
      BackwardSampler.Samples z = BackwardSampler.sample(dyn, r, null, 2, new SplittableRandom(9));
      return Elbo.compute(dyn, List.of(image), List.of(x), List.of(mask), null, z, 1f).elbo;
    }, rng, 2e-2, 2e-2, encLast);
  }

  @Test
  void onlineFilterWithImagesEqualsTheBatchFilter() {
    ImageSensor image = new ImageSensor(M, S, 2, 0.3f, 0.01f, 2f, 0f, new SplittableRandom(6));
    float[] eye = {1, 0, 0, 1};
    LinearGaussianDynamics dyn = new LinearGaussianDynamics(M, 0, eye, new float[] {0.9f, 0.1f, 0f, 0.95f},
        null, new float[] {0.01f, 0, 0, 0.01f}, false, false, false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new OnlineFilter(dyn, List.of(image)));
    assertEquals("OnlineFilter: sensor 0 is in training mode; call eval() on it (batch norm must use its"
        + " running statistics)", e.getMessage());
    image.eval();
    Tensor x = images(1, 4);
    Tensor mask = Tensor.wrap(new float[] {1, 0, 1, 1}, 1, 4);
    OnlineFilter online = new OnlineFilter(dyn, List.of(image));
    float[] mean = new float[M];
    try (Tape.Scope noGrad = Tape.noGrad()) {
      FilterResult batch = InformationFilter.run(dyn, List.of(image), List.of(x), List.of(mask), null);
      int frame = 3 * S * S;
      for (int t = 0; t < 4; t++) {
        float[] obs = mask.data()[t] == 0f ? null : java.util.Arrays.copyOfRange(x.data(), t * frame, (t + 1) * frame);
        online.step(new float[][] {obs}, null);
        online.mean(mean);
        assertArrayEquals(batch.filteredMean(t).data(), mean, 1e-3f, "t=" + t);
      }
    }
  }
}
