package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.GradCheck;
import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;
import org.vssf.linalg.NotPositiveDefiniteException;
import org.vssf.linalg.Parallel;
import org.vssf.testing.SeededTest;

/**
 * The fused filter + sampler + prior against the composite chain it replaces (the oracle): same
 * samples and log-densities, same gradients for every input kind (A, B, Σw, shared and per-frame
 * sensor factors, masks), a finite-difference check of its own, and thread-count independence.
 */
class FusedPosteriorTest extends SeededTest {
  /**
   * A sensor whose factor is a learnable tensor: precision X Xᵀ + I, shared [m, m] or per frame
   * [B, T, m, m], and information vector [B, T, m]; log-likelihood −½‖x − z‖².
   */
  static final class FactorSensor implements Sensor {
    final int m;
    final Tensor raw;
    final Tensor info;

    FactorSensor(int m, Tensor raw, Tensor info) {
      this.m = m;
      this.raw = raw;
      this.info = info;
    }

    @Override
    public int latentSize() {
      return m;
    }

    @Override
    public Contribution contribution(Tensor observations, Tensor mask) {
      Tensor eye = Tensor.wrap(LinearGaussianDynamics.identity(m), m, m);
      Tensor prec = Ops.add(LinalgOps.matmul(raw, Ops.transpose(raw)), eye);
      return new Contribution(prec, info);
    }

    @Override
    public Tensor logLikelihood(Tensor observations, Tensor latents) {
      Tensor d = Ops.sub(observations, latents);
      return Ops.scale(Ops.sum(Ops.square(d), new int[] {2}, false), -0.5f);
    }
  }

  /** A random problem: learned A, B, Σw; a linear sensor, a shared and a per-frame factor sensor. */
  private final class Problem {
    final int b;
    final int steps;
    final int m;
    final LinearGaussianDynamics dynamics;
    final List<Sensor> sensors = new ArrayList<>();
    final List<Tensor> observations = new ArrayList<>();
    final List<Tensor> masks = new ArrayList<>();
    final Tensor controls;
    final Tensor sharedRaw;
    final Tensor frameRaw;
    final Tensor frameInfo;
    final Tensor sharedInfo;

    Problem(int b, int steps, int m, boolean withMasks) {
      this.b = b;
      this.steps = steps;
      this.m = m;
      int p = 2;
      float[] sz = new float[m * m];
      float[] a = new float[m * m];
      float[] sw = new float[m * m];
      for (int i = 0; i < m; i++) {
        sz[i * m + i] = 1.5f;
        sw[i * m + i] = 0.3f;
        for (int j = 0; j < m; j++) {
          a[i * m + j] = (i == j ? 0.8f : 0f) + 0.15f * (float) (2 * rng.nextDouble() - 1);
        }
      }
      sz[m - 1] += m > 1 ? 0.4f : 0f;
      if (m > 1) {
        sz[(m - 1) * m] = 0.4f;
      }
      dynamics = new LinearGaussianDynamics(m, p, sz, a, randomFloats(m * p), sw, true, true, true);
      controls = Tensor.wrap(randomFloats(b * (steps - 1) * p), b, steps - 1, p);
      float[] c = randomFloats(m * m);
      float[] r = new float[m * m];
      for (int i = 0; i < m; i++) {
        r[i * m + i] = 0.5f;
      }
      sensors.add(new LinearSensor(m, m, c, r));
      observations.add(Tensor.wrap(randomFloats(b * steps * m), b, steps, m));
      sharedRaw = Tensor.of(scaled(randomFloats(m * m), 0.5f), m, m).requiresGrad(true);
      sharedInfo = Tensor.of(randomFloats(b * steps * m), b, steps, m).requiresGrad(true);
      sensors.add(new FactorSensor(m, sharedRaw, sharedInfo));
      observations.add(Tensor.wrap(randomFloats(b * steps * m), b, steps, m));
      frameRaw = Tensor.of(scaled(randomFloats(b * steps * m * m), 0.5f), b, steps, m, m).requiresGrad(true);
      frameInfo = Tensor.of(randomFloats(b * steps * m), b, steps, m).requiresGrad(true);
      sensors.add(new FactorSensor(m, frameRaw, frameInfo));
      observations.add(Tensor.wrap(randomFloats(b * steps * m), b, steps, m));
      for (int j = 0; j < 3; j++) {
        float[] mk = new float[b * steps];
        for (int i = 0; i < mk.length; i++) {
          mk[i] = !withMasks || rng.nextDouble() < 0.7 ? 1f : 0f;
        }
        masks.add(Tensor.wrap(mk, b, steps));
      }
    }

    List<Tensor> parameters() {
      List<Tensor> ps = new ArrayList<>(dynamics.parameters());
      ps.add(sharedRaw);
      ps.add(sharedInfo);
      ps.add(frameRaw);
      ps.add(frameInfo);
      return ps;
    }

    void zeroGrad() {
      for (Tensor t : parameters()) {
        t.zeroGrad();
      }
    }

    BackwardSampler.Samples composite(int samples, long seed) {
      FilterResult r = InformationFilter.run(dynamics, sensors, observations, masks, controls);
      return BackwardSampler.sample(dynamics, r, controls, samples, new SplittableRandom(seed));
    }

    BackwardSampler.Samples fused(int samples, long seed) {
      return FusedPosterior.sample(dynamics, sensors, observations, masks, controls, samples,
          new SplittableRandom(seed));
    }

    /** Σ w ⊙ (z, log q, log p) with fixed random weights: touches every output. */
    Tensor loss(BackwardSampler.Samples s, Tensor logPrior, float[][] weights) {
      Tensor total = Ops.sum(Ops.mul(s.logQ, Tensor.wrap(weights[0], s.logQ.shape())));
      total = Ops.add(total, Ops.sum(Ops.mul(logPrior, Tensor.wrap(weights[1], logPrior.shape()))));
      for (int t = 0; t < steps; t++) {
        Tensor z = s.latent(t);
        total = Ops.add(total, Ops.sum(Ops.mul(z, Tensor.wrap(weights[2 + t], z.shape()))));
      }
      return total;
    }
  }

  private static float[] scaled(float[] v, float c) {
    for (int i = 0; i < v.length; i++) {
      v[i] *= c;
    }
    return v;
  }

  private float[][] weights(int b, int steps, int m, int samples) {
    float[][] w = new float[2 + steps][];
    w[0] = randomFloats(b * samples);
    w[1] = randomFloats(b * samples);
    for (int t = 0; t < steps; t++) {
      w[2 + t] = randomFloats(b * m * samples);
    }
    return w;
  }

  private static void assertClose(String what, float[] expected, float[] actual, double rel, double abs) {
    assertEquals(expected.length, actual.length, what + ": length");
    double scale = 0;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    for (int i = 0; i < expected.length; i++) {
      double tol = abs + rel * Math.max(Math.abs(expected[i]), 0.1 * scale);
      assertEquals(expected[i], actual[i], tol, what + "[" + i + "]");
    }
  }

  @ParameterizedTest(name = "B={0} T={1} m={2} S={3} masks={4}")
  @CsvSource({"3, 1, 2, 4, false", "3, 4, 1, 5, true", "2, 5, 2, 3, true", "4, 3, 3, 6, true", "2, 6, 4, 7, false",
      "2, 4, 3, 300, true"}) // the last spans three sample tiles
  void matchesTheCompositeChainInValuesAndGradients(int b, int steps, int m, int samples, boolean withMasks) {
    Problem pr = new Problem(b, steps, m, withMasks);
    float[][] w = weights(b, steps, m, samples);
    long noiseSeed = rng.nextLong();

    pr.zeroGrad();
    BackwardSampler.Samples c = pr.composite(samples, noiseSeed);
    Tensor cPrior = Elbo.logPrior(pr.dynamics, c, pr.controls);
    pr.loss(c, cPrior, w).backward();
    List<float[]> cGrads = new ArrayList<>();
    for (Tensor t : pr.parameters()) {
      cGrads.add(t.grad() == null ? new float[t.size()] : t.grad().clone());
    }

    pr.zeroGrad();
    BackwardSampler.Samples f = pr.fused(samples, noiseSeed);
    pr.loss(f, f.logPrior(), w).backward();

    // Forward: the composite works in float with its own rounding; 1e-4 relative is far below any
    // modelling error and far above float noise on these well-conditioned problems.
    for (int t = 0; t < steps; t++) {
      assertClose("z_" + t + " " + seedInfo(), c.latent(t).data(), f.latent(t).data(), 1e-4, 1e-5);
    }
    assertClose("log q " + seedInfo(), c.logQ.data(), f.logQ.data(), 1e-4, 1e-4);
    assertClose("log p " + seedInfo(), cPrior.data(), f.logPrior().data(), 1e-4, 1e-4);
    List<Tensor> ps = pr.parameters();
    String[] names = pr.dynamics.namedParameters().keySet().toArray(new String[0]);
    for (int k = 0; k < ps.size(); k++) {
      String name = k < names.length ? names[k] : new String[] {"sharedRaw", "sharedInfo", "frameRaw",
          "frameInfo"}[k - names.length];
      float[] fg = ps.get(k).grad() == null ? new float[ps.get(k).size()] : ps.get(k).grad();
      assertClose("gradient of " + name + " " + seedInfo(), cGrads.get(k), fg, 2e-3, 2e-4);
    }
  }

  /**
   * The loss sums float outputs of magnitude ~10 (log q, log p), so each evaluation carries a
   * rounding error of ~10⁻⁶ and the difference quotient one of ~10⁻⁵–10⁻⁴ against gradients of
   * ~10⁻³ (shrinking h makes it worse: at h = 5·10⁻³ the error is 20 %). Hence a 2 % tolerance
   * at h = 2·10⁻²: still far below any wrong factor, sign or transpose. The exact check of the
   * adjoint is {@link #matchesTheCompositeChainInValuesAndGradients} (autodiff of the composite
   * chain, 0.2 %).
   */
  @Test
  void finiteDifferencesAgreeWithTheAdjoint() {
    Problem pr = new Problem(2, 3, 2, true);
    float[][] w = weights(2, 3, 2, 3);
    long noiseSeed = rng.nextLong();
    List<Tensor> ps = pr.parameters();
    GradCheck.check("fused posterior " + seedInfo(), in -> {
      BackwardSampler.Samples s = pr.fused(3, noiseSeed);
      return Ops.reshape(pr.loss(s, s.logPrior(), w), 1);
    }, rng, 2e-2, 2e-2, ps.toArray(new Tensor[0]));
  }

  @Test
  void resultsAndGradientsDoNotDependOnTheThreadCount() {
    Problem pr = new Problem(7, 4, 3, true);
    float[][] w = weights(7, 4, 3, 5);
    int saved = Parallel.defaultParallelism();
    float[][] first = null;
    try {
      for (int threads : new int[] {1, 2, 3}) {
        Parallel.setDefaultParallelism(threads);
        pr.zeroGrad();
        BackwardSampler.Samples s = pr.fused(5, 11);
        pr.loss(s, s.logPrior(), w).backward();
        List<Tensor> ps = pr.parameters();
        float[][] now = new float[ps.size() + 1][];
        now[0] = s.latent(0).data().clone();
        for (int k = 0; k < ps.size(); k++) {
          now[k + 1] = ps.get(k).grad().clone();
        }
        if (first == null) {
          first = now;
        } else {
          for (int k = 0; k < now.length; k++) {
            assertArrayEquals(first[k], now[k], "output " + k + " at " + threads + " threads");
          }
        }
      }
    } finally {
      Parallel.setDefaultParallelism(saved);
    }
  }

  @Test
  void theElboUsesTheFusedPriorAndMatchesTheExactLikelihoodWithLinearSensors() {
    Problem pr = new Problem(3, 4, 2, true);
    List<Sensor> linear = pr.sensors.subList(0, 1);
    List<Tensor> obs = pr.observations.subList(0, 1);
    List<Tensor> masks = pr.masks.subList(0, 1);
    BackwardSampler.Samples s = FusedPosterior.sample(pr.dynamics, linear, obs, masks, pr.controls, 1,
        new SplittableRandom(5));
    Elbo.Terms terms = Elbo.compute(pr.dynamics, linear, obs, masks, pr.controls, s, 1f);
    FilterResult r = InformationFilter.run(pr.dynamics, linear, obs, masks, pr.controls);
    float[] exact = RtsSmoother.marginalLogLik(pr.dynamics, linear, obs, masks, pr.controls);
    for (int k = 0; k < 3; k++) {
      // One-sample identity (MATH.md 1): log p(x, z) − log q(z) = log p(x) for every sample.
      assertEquals(exact[k], terms.elbo.data()[k], 2e-3 * Math.max(1, Math.abs(exact[k])), "sequence " + k);
    }
    assertTrue(r.steps() == 4);
  }

  @Test
  void aNonPositiveDefiniteFactorIsNamed() {
    Problem pr = new Problem(2, 3, 2, false);
    float[] info = pr.frameInfo.data();
    List<Sensor> bad = new ArrayList<>(pr.sensors);
    Tensor negative = Tensor.wrap(new float[] {-5f, 0f, 0f, -5f}, 2, 2);
    bad.set(2, new Sensor() {
      @Override
      public int latentSize() {
        return 2;
      }

      @Override
      public Contribution contribution(Tensor observations, Tensor mask) {
        return new Contribution(negative, Tensor.wrap(info, 2, 3, 2));
      }

      @Override
      public Tensor logLikelihood(Tensor observations, Tensor latents) {
        throw new UnsupportedOperationException();
      }
    });
    NotPositiveDefiniteException e = assertThrows(NotPositiveDefiniteException.class,
        () -> FusedPosterior.sample(pr.dynamics, bad, pr.observations, null, pr.controls, 2,
            new SplittableRandom(1)));
    assertTrue(e.getMessage().contains("filteredPrecision"), e.getMessage());
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> FusedPosterior.sample(pr.dynamics, pr.sensors, pr.observations, pr.masks, pr.controls, 0,
            new SplittableRandom(1)));
    assertEquals("FusedPosterior: samples must be >= 1, got 0", e2.getMessage());
  }

  @Test
  void noiseSignsGiveTheReflectedSamplesOfAReflectedModel() {
    // D = diag(−1, 1, −1) is a symmetry of this A (component 1 is coupled to nothing); with the
    // sensor's factor reflected (Λ → DΛD, η → Dη) and the noise reflected, every sample is D z.
    int m = 3;
    int b = 2;
    int t = 4;
    float[] d = {-1f, 1f, -1f};
    LinearGaussianDynamics dyn = new LinearGaussianDynamics(m, 0, new float[] {1, 0, 0.2f, 0, 1, 0, 0.2f, 0, 1},
        new float[] {0.9f, 0, 0.3f, 0, 0.8f, 0, -0.1f, 0, 0.95f}, null, new float[] {0.1f, 0, 0, 0, 0.1f, 0, 0, 0, 0.1f},
        false, false, false);
    float[] raw = randomFloats(m * m);
    float[] info = randomFloats(b * t * m);
    float[] rawD = raw.clone();
    float[] infoD = info.clone();
    for (int i = 0; i < raw.length; i++) {
      rawD[i] *= d[i / m];
    }
    for (int i = 0; i < info.length; i++) {
      infoD[i] *= d[i % m];
    }
    Tensor obs = Tensor.zeros(b, t, m);
    BackwardSampler.Samples plain = FusedPosterior.sample(dyn,
        List.of(new FactorSensor(m, Tensor.wrap(raw, m, m), Tensor.wrap(info, b, t, m))), List.of(obs), null, null,
        5, new SplittableRandom(9));
    BackwardSampler.Samples reflected = FusedPosterior.sample(dyn,
        List.of(new FactorSensor(m, Tensor.wrap(rawD, m, m), Tensor.wrap(infoD, b, t, m))), List.of(obs), null, null,
        5, new SplittableRandom(9), d);
    for (int k = 0; k < t; k++) {
      float[] z = plain.latent(k).data(); // [B, m, S]
      float[] zd = reflected.latent(k).data();
      for (int i = 0; i < z.length; i++) {
        assertEquals(d[i / 5 % m] * z[i], zd[i], 1e-5f * Math.max(1f, Math.abs(z[i])), "z_" + k + "[" + i + "]");
      }
    }
    assertArrayEquals(plain.logPrior().data(), reflected.logPrior().data(), 1e-4f, "log p(z) is even");
    assertThrows(IllegalArgumentException.class, () -> FusedPosterior.sample(dyn,
        List.of(new FactorSensor(m, Tensor.wrap(raw, m, m), Tensor.wrap(info, b, t, m))), List.of(obs), null, null,
        5, new SplittableRandom(9), new float[2]));
  }
}
