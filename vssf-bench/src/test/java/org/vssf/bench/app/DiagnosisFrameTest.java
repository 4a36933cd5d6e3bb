package org.vssf.bench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.Tensor;
import org.vssf.filter.LinearGaussianDynamics;
import org.vssf.filter.LinearSensor;
import org.vssf.filter.Sensor;
import org.vssf.filter.Trainer;

/**
 * The frame diagnosis re-expresses the dynamics in the frame z' = M z. With a linear sensor the
 * posterior is exact, so the ELBO's expectation is log p(x) (MATH.md, identity 1), which no change
 * of frame can alter: the model (A, B, Σw, Σz, C) and the reframed one (M A M⁻¹, M B, M Σw Mᵀ,
 * M Σz Mᵀ, C M⁻¹) must score the same data alike on average.
 */
class DiagnosisFrameTest {
  @Test
  void reframedDynamicsKeepTheLikelihoodOfEverySequence() {
    float[] a = {0.99f, 0.2f, -0.05f, 0.95f};
    float[] b = {0.03f, 0.3f};
    float[] w = {2e-3f, 3e-4f, 3e-4f, 1e-3f};
    float[] prior = {2.5f, 0.1f, 0.1f, 1.9f};
    LinearGaussianDynamics d = new LinearGaussianDynamics(2, 1, prior, a, b, w, false, false, false);
    double[] map = {1.3, 0.2, -0.4, 0.8};
    double det = map[0] * map[3] - map[1] * map[2];
    double[] inv = {map[3] / det, -map[1] / det, -map[2] / det, map[0] / det};
    float[] c = {1f, 0f, 0.5f, 1f};
    float[] cNew = new float[4]; // C M⁻¹
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 2; j++) {
        cNew[i * 2 + j] = (float) (c[i * 2] * inv[j] + c[i * 2 + 1] * inv[2 + j]);
      }
    }
    float[] r = {0.05f, 0f, 0f, 0.08f};
    List<Sensor> sensors = List.of(new LinearSensor(2, 2, c, r));
    List<Sensor> reframedSensors = List.of(new LinearSensor(2, 2, cNew, r));
    SplittableRandom rng = new SplittableRandom(3);
    int batch = 3;
    int steps = 6;
    float[] x = new float[batch * steps * 2];
    float[] u = new float[batch * (steps - 1)];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (2 * rng.nextDouble() - 1);
    }
    for (int i = 0; i < u.length; i++) {
      u[i] = (float) (6 * rng.nextDouble() - 3);
    }
    Trainer.Batch data = new Trainer.Batch(List.of(Tensor.wrap(x, batch, steps, 2)), null,
        Tensor.wrap(u, batch, steps - 1, 1));
    LinearGaussianDynamics reframed = Diagnosis.reframe(d, map, 2);
    // The reconstruction term uses one sample per sequence, so each ELBO is a Monte-Carlo estimate of
    // log p(x): average the difference over many noise streams.
    double[] diff = new double[2];
    double[] wrong = new double[2];
    int draws = 1000;
    for (int seed = 0; seed < draws; seed++) {
      float[] before = Diagnosis.elbos(d, sensors, data, 8, seed);
      float[] after = Diagnosis.elbos(reframed, reframedSensors, data, 8, seed);
      float[] mismatched = Diagnosis.elbos(reframed, sensors, data, 8, seed);
      for (int k = 0; k < batch; k++) {
        assertTrue(Float.isFinite(before[k]) && Float.isFinite(after[k]), "sequence " + k);
        double g = after[k] - before[k];
        diff[0] += g;
        diff[1] += g * g;
        double h = mismatched[k] - before[k];
        wrong[0] += h;
        wrong[1] += h * h;
      }
    }
    int n = draws * batch;
    double mean = diff[0] / n;
    double se = Math.sqrt((diff[1] / n - mean * mean) / (n - 1));
    assertTrue(se < 0.05, "standard error " + se);
    assertEquals(0, mean, 4 * se + 1e-3, "mean gain of the same model in another frame (se " + se + ")");
    // The reframed dynamics with the old sensor are another model, and score differently.
    double wrongMean = wrong[0] / n;
    assertTrue(Math.abs(wrongMean) > 20 * se, "mismatched: " + wrongMean + " (se " + se + ")");
  }

  @Test
  void aSingularFrameIsNamed() {
    LinearGaussianDynamics d = new LinearGaussianDynamics(2, 0, new float[] {1, 0, 0, 1},
        new float[] {1, 0, 0, 1}, null, new float[] {1, 0, 0, 1}, false, false, false);
    ArithmeticException e = assertThrows(ArithmeticException.class,
        () -> Diagnosis.reframe(d, new double[] {1, 2, 2, 4}, 2));
    assertTrue(e.getMessage().startsWith("frame: the latent's map from the state is singular"), e.getMessage());
  }
}
