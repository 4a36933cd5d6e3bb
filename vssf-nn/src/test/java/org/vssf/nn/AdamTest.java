package org.vssf.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;
import org.vssf.testing.SeededTest;

/** Adam/AdamW against a double-precision reference, clipping, schedules, groups and resume. */
class AdamTest extends SeededTest {
  /** Loss Σ (p ⊙ c)² for a fixed c: gradient 2c²p. */
  private static void lossBackward(Tensor p, Tensor c) {
    Tensor y = Ops.mul(p, c);
    Ops.sum(Ops.mul(y, y)).backward();
  }

  @Test
  void firstStepMovesEachWeightByTheLearningRate() {
    // After one step m̂/√v̂ = g/|g|, so every weight moves by exactly lr against its gradient sign.
    Tensor p = Tensor.of(new float[] {1f, -2f, 0.5f}, 3).requiresGrad(true);
    Map<String, Tensor> named = Map.of("p", p);
    Adam adam = new Adam(List.of(new Adam.Group("g", named, 0f)), LearningRate.constant(0.1f),
        0.9f, 0.999f, 1e-12f, 0f);
    lossBackward(p, Tensor.of(new float[] {1f, 1f, 1f}, 3));
    adam.update();
    assertArrayEquals(new float[] {0.9f, -1.9f, 0.4f}, p.data(), 1e-6f);
  }

  /** Adam with lr 0.1 on the one parameter "w". */
  private static Adam adam(Tensor w, float decay) {
    return new Adam(List.of(new Adam.Group("g", Map.of("w", w), decay)), LearningRate.constant(0.1f),
        0.9f, 0.999f, 1e-8f, 0f);
  }

  @Test
  void groupRateFactorRunsTheGroupAtThatLearningRate() {
    // A group at factor f follows the trajectory of Adam at f·lr, weight decay included, while a
    // group at the default factor beside it is untouched by f.
    float[] p0 = randomFloats(4);
    float[] c = randomFloats(4);
    Tensor slow = Tensor.wrap(p0.clone(), 4).requiresGrad(true);
    Tensor plain = Tensor.wrap(p0.clone(), 4).requiresGrad(true);
    Tensor ref = Tensor.wrap(p0.clone(), 4).requiresGrad(true);
    Tensor alone = Tensor.wrap(p0.clone(), 4).requiresGrad(true);
    Adam.Group g = new Adam.Group("slow", Map.of("s", slow), 0.01f).rateFactor(0.25f);
    assertEquals(0.25f, g.rateFactor());
    Adam both = new Adam(List.of(g, new Adam.Group("plain", Map.of("p", plain), 0.01f)),
        LearningRate.constant(0.1f), 0.9f, 0.999f, 1e-8f, 0f);
    Adam quarter = new Adam(List.of(new Adam.Group("g", Map.of("w", ref), 0.01f)), LearningRate.constant(0.025f),
        0.9f, 0.999f, 1e-8f, 0f);
    Adam full = adam(alone, 0.01f);
    for (int t = 0; t < 6; t++) {
      for (Tensor p : new Tensor[] {slow, plain, ref, alone}) {
        p.zeroGrad();
        lossBackward(p, Tensor.wrap(c, 4));
      }
      both.update();
      quarter.update();
      full.update();
    }
    assertArrayEquals(ref.data(), slow.data(), 1e-6f, "factor 0.25 against lr 0.025");
    assertArrayEquals(alone.data(), plain.data(), 0f, "the other group at lr 0.1");
    assertEquals("Adam group 'x': learning-rate factor must be finite and > 0, got -1.0",
        assertThrows(IllegalArgumentException.class,
            () -> new Adam.Group("x", Map.of(), 0f).rateFactor(-1f)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Adam.Group("x", Map.of(), 0f).rateFactor(Float.NaN));
  }

  @Test
  void reflectedMomentsContinueTheReflectedTrajectory() {
    // The loss Σ (p ⊙ c)² is even in every weight: after negating some weights mid-run, with the
    // first moments reflected the same way, the run goes on as the mirror of the unbroken one.
    float[] p0 = randomFloats(4);
    float[] c = randomFloats(4);
    float[] d = {-1f, 1f, -1f, 1f};
    Tensor p = Tensor.wrap(p0.clone(), 4).requiresGrad(true);
    Tensor q = Tensor.wrap(p0.clone(), 4).requiresGrad(true);
    Adam a = adam(p, 0.01f);
    Adam b = adam(q, 0.01f);
    for (int t = 0; t < 5; t++) {
      if (t == 2) {
        for (int i = 0; i < 4; i++) {
          q.data()[i] *= d[i];
        }
        b.reflectFirstMoment("w", d);
      }
      for (Object[] run : new Object[][] {{p, a}, {q, b}}) {
        ((Tensor) run[0]).zeroGrad();
        lossBackward((Tensor) run[0], Tensor.wrap(c, 4));
        ((Adam) run[1]).update();
      }
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(d[i] * p.data()[i], q.data()[i], 0f, "weight " + i);
    }
    assertEquals("Adam.reflectFirstMoment: no parameter 'v'",
        assertThrows(IllegalArgumentException.class, () -> b.reflectFirstMoment("v", d)).getMessage());
    assertEquals("Adam.reflectFirstMoment: 'w' has 4 values, got 2 factors",
        assertThrows(IllegalArgumentException.class, () -> b.reflectFirstMoment("w", new float[2])).getMessage());
  }

  @Test
  void permutedMomentsContinueThePermutedTrajectory() {
    // Σ (p ⊙ c)² in permuted, signed coordinates q_k = f_k·p_{i_k} is Σ (q ⊙ c[i])²: after moving
    // the weights and both moments mid-run, the run goes on as the permuted unbroken one, bitwise.
    float[] p0 = randomFloats(4);
    float[] c = randomFloats(4);
    int[] index = {2, 0, 3, 1};
    float[] f = {-1f, 1f, 1f, -1f};
    float[] cq = new float[4];
    for (int k = 0; k < 4; k++) {
      cq[k] = c[index[k]];
    }
    Tensor p = Tensor.wrap(p0.clone(), 4).requiresGrad(true);
    Tensor q = Tensor.wrap(p0.clone(), 4).requiresGrad(true);
    Adam a = adam(p, 0f);
    Adam b = adam(q, 0f);
    for (int t = 0; t < 5; t++) {
      if (t == 2) {
        float[] old = q.data().clone();
        for (int k = 0; k < 4; k++) {
          q.data()[k] = f[k] * old[index[k]];
        }
        b.permuteMoments("w", index, f);
      }
      for (Object[] run : new Object[][] {{p, a, c}, {q, b, t >= 2 ? cq : c}}) {
        ((Tensor) run[0]).zeroGrad();
        lossBackward((Tensor) run[0], Tensor.wrap((float[]) run[2], 4));
        ((Adam) run[1]).update();
      }
    }
    for (int k = 0; k < 4; k++) {
      assertEquals(f[k] * p.data()[index[k]], q.data()[k], 0f, "weight " + k);
    }
    assertEquals("Adam.permuteMoments: no parameter 'v'",
        assertThrows(IllegalArgumentException.class, () -> b.permuteMoments("v", index, f)).getMessage());
    assertEquals("Adam.permuteMoments: 'w' has 4 values, got 2 indices and 4 factors",
        assertThrows(IllegalArgumentException.class, () -> b.permuteMoments("w", new int[2], f)).getMessage());
  }

  @Test
  void matchesDoublePrecisionReferenceWithDecayClipAndSchedule() {
    int n = 6;
    float[] p0 = randomFloats(n);
    float[] c = randomFloats(n);
    Tensor p = Tensor.wrap(p0.clone(), n).requiresGrad(true);
    LearningRate lr = LearningRate.linearWarmup(2, LearningRate.exponentialDecay(0.05f, 0.5, 4, false));
    float wd = 0.01f;
    float clip = 0.5f;
    Adam adam = new Adam(List.of(new Adam.Group("all", Map.of("p", p), wd)), lr, 0.9f, 0.999f, 1e-8f, clip);
    double[] w = new double[n];
    double[] m = new double[n];
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      w[i] = p0[i];
    }
    for (int t = 1; t <= 8; t++) {
      p.zeroGrad();
      lossBackward(p, Tensor.wrap(c, n));
      adam.update();
      double[] g = new double[n];
      double norm = 0;
      for (int i = 0; i < n; i++) {
        g[i] = 2.0 * c[i] * c[i] * (float) w[i];
        norm += g[i] * g[i];
      }
      norm = Math.sqrt(norm);
      double scale = norm > clip ? clip / norm : 1;
      double rate = lr.at(t - 1);
      for (int i = 0; i < n; i++) {
        double gi = g[i] * scale;
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.999 * v[i] + 0.001 * gi * gi;
        double mh = m[i] / (1 - Math.pow(0.9, t));
        double vh = v[i] / (1 - Math.pow(0.999, t));
        w[i] -= rate * (mh / (Math.sqrt(vh) + 1e-8) + wd * w[i]);
      }
      assertEquals(norm, adam.lastGradNorm(), 1e-5 * norm + 1e-9, "grad norm at step " + t);
      for (int i = 0; i < n; i++) {
        assertEquals(w[i], p.data()[i], 2e-5 * Math.max(1, Math.abs(w[i])), "step " + t + " weight " + i + seedInfo());
      }
    }
  }

  @Test
  void schedules() {
    assertEquals(0.1f, LearningRate.constant(0.1f).at(1000));
    LearningRate e = LearningRate.exponentialDecay(1f, 0.5, 10, true);
    assertEquals(1f, e.at(9));
    assertEquals(0.5f, e.at(10));
    assertEquals((float) Math.pow(0.5, 0.5), LearningRate.exponentialDecay(1f, 0.5, 10, false).at(5), 1e-6f);
    LearningRate w = LearningRate.linearWarmup(3, LearningRate.constant(0.8f));
    assertEquals(0.2f, w.at(0), 1e-6f);
    assertEquals(0.6f, w.at(2), 1e-6f);
    assertEquals(0.8f, w.at(3), 1e-6f);
    assertThrows(IllegalArgumentException.class, () -> LearningRate.constant(Float.NaN));
  }

  @Test
  void frozenGroupIsUntouchedAndResetClearsState() {
    Tensor enc = Tensor.of(new float[] {1f, 2f}, 2).requiresGrad(true);
    Tensor dec = Tensor.of(new float[] {3f, 4f}, 2).requiresGrad(true);
    Adam.Group ge = new Adam.Group("encoder", Map.of("enc", enc), 0.1f).frozen(true);
    Adam.Group gd = new Adam.Group("decoder", Map.of("dec", dec), 0f);
    Adam adam = new Adam(List.of(ge, gd), LearningRate.constant(0.1f), 0.9f, 0.999f, 1e-8f, 0f);
    Ops.sum(Ops.add(Ops.mul(enc, enc), Ops.mul(dec, dec))).backward();
    adam.update();
    assertArrayEquals(new float[] {1f, 2f}, enc.data());
    assertArrayEquals(new float[] {2.9f, 3.9f}, dec.data(), 1e-6f);
    assertEquals(1, adam.step());
    adam.reset();
    assertEquals(0, adam.step());
    assertTrue(adam.exportState().get("m.dec")[0] == 0f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Adam(List.of(gd, new Adam.Group("again", Map.of("dec", dec), 0f)),
            LearningRate.constant(0.1f), 0.9f, 0.999f, 1e-8f, 0f));
    assertEquals("Adam: parameter 'dec' is in two groups", e.getMessage());
  }

  @Test
  void resumingFromExportedStateIsBitwiseIdentical() {
    float[] p0 = randomFloats(5);
    float[] c = randomFloats(5);
    Tensor a = Tensor.wrap(p0.clone(), 5).requiresGrad(true);
    Adam straight = new Adam(List.of(new Adam.Group("g", Map.of("p", a), 0.01f)),
        LearningRate.constant(0.03f), 0.9f, 0.999f, 1e-8f, 1f);
    Tensor b = Tensor.wrap(p0.clone(), 5).requiresGrad(true);
    Adam first = new Adam(List.of(new Adam.Group("g", Map.of("p", b), 0.01f)),
        LearningRate.constant(0.03f), 0.9f, 0.999f, 1e-8f, 1f);
    for (int t = 0; t < 10; t++) {
      a.zeroGrad();
      lossBackward(a, Tensor.wrap(c, 5));
      straight.update();
      if (t < 4) {
        b.zeroGrad();
        lossBackward(b, Tensor.wrap(c, 5));
        first.update();
      }
    }
    // "Checkpoint" after 4 steps: weights + optimiser state into a fresh optimiser.
    LinkedHashMap<String, float[]> state = first.exportState();
    Tensor r = Tensor.wrap(b.data().clone(), 5).requiresGrad(true);
    Adam resumed = new Adam(List.of(new Adam.Group("g", Map.of("p", r), 0.01f)),
        LearningRate.constant(0.03f), 0.9f, 0.999f, 1e-8f, 1f);
    resumed.importState(state, first.step());
    for (int t = 4; t < 10; t++) {
      r.zeroGrad();
      lossBackward(r, Tensor.wrap(c, 5));
      resumed.update();
    }
    assertArrayEquals(a.data(), r.data(), "resumed run must equal the uninterrupted one bitwise");
    state.remove("v.p");
    state.put("m.q", new float[1]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> resumed.importState(state, 3));
    assertEquals("Adam.importState: missing v.p; unexpected m.q", e.getMessage());
  }

  @Test
  void nonFiniteGradientStopsWithoutTouchingWeights() {
    Tensor p = Tensor.of(new float[] {1f, 2f}, 2).requiresGrad(true);
    Adam adam = Adam.adamW(new Linear(1, 1, rng), LearningRate.constant(0.1f), 0f, 0f);
    Adam own = new Adam(List.of(new Adam.Group("g", Map.of("p", p), 0f)), LearningRate.constant(0.1f),
        0.9f, 0.999f, 1e-8f, 0f);
    Ops.sum(Ops.log(Ops.scale(p, 0f))).backward(); // d/dp log(0·p) = 1/p·... → inf·0 = NaN
    ArithmeticException e = assertThrows(ArithmeticException.class, own::update);
    assertTrue(e.getMessage().startsWith("Adam: gradient norm is NaN at step 0"), e.getMessage());
    assertArrayEquals(new float[] {1f, 2f}, p.data());
    assertEquals(0, adam.step());
  }
}
