package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.autodiff.Tensor;
import org.vssf.linalg.NotPositiveDefiniteException;

/** Pre-training phase, bitwise resume from checkpoints, divergence handling, metrics. */
class TrainerTest {
  @TempDir
  Path dir;

  private static final int M = 2;
  private static final int S = 16;

  /** A tiny image + linear model with learned A; fresh weights for the same seed. */
  private static Object[] model() {
    float[] eye = {1, 0, 0, 1};
    LinearGaussianDynamics dyn = new LinearGaussianDynamics(M, 0, eye, new float[] {0.9f, 0.1f, 0f, 0.95f},
        null, new float[] {0.01f, 0, 0, 0.01f}, true, false, false);
    ImageSensor image = new ImageSensor(M, S, 2, 0.3f, 0.01f, 2f, 5f, new SplittableRandom(3));
    LinearSensor linear = new LinearSensor(1, M, new float[] {1f, 0f}, new float[] {0.05f});
    return new Object[] {dyn, image, linear};
  }

  private static Trainer.Data data(int badStep) {
    return (step, rng) -> {
      float[] img = new float[2 * 3 * 3 * S * S];
      float[] y = new float[2 * 3];
      for (int i = 0; i < img.length; i++) {
        img[i] = (float) (2 * rng.nextDouble() - 1);
      }
      for (int i = 0; i < y.length; i++) {
        y[i] = step == badStep ? 1e30f : (float) rng.nextDouble();
      }
      return new Trainer.Batch(List.of(Tensor.wrap(img, 2, 3, 3, S, S), Tensor.wrap(y, 2, 3, 1)), null, null);
    };
  }

  private static Trainer.Config config(int steps) {
    Trainer.Config c = new Trainer.Config();
    c.steps = steps;
    c.pretrainSteps = 3;
    c.samples = 4;
    c.logEvery = 2;
    c.checkpointEvery = 3;
    c.seed = 11;
    c.sensorDropout = 0.3f;
    c.labelDropout = 0.3f;
    return c;
  }

  private static Trainer trainer(Object[] m, Trainer.Config c, Path run) {
    return new Trainer((LinearGaussianDynamics) m[0], List.of((Sensor) m[1], (Sensor) m[2]), c, run);
  }

  @Test
  void pretrainingMovesOnlyTheDecoder() throws Exception {
    Object[] m = model();
    ImageSensor image = (ImageSensor) m[1];
    float[] enc = image.namedParameters().get("encoder.mlp.4.weight").data().clone();
    float[] a = ((LinearGaussianDynamics) m[0]).dynamicsMatrix().data().clone();
    float[] dec = image.namedParameters().get("decoder.out.weight").data().clone();
    trainer(m, config(3), dir.resolve("pre")).train(data(-1));
    assertArrayEquals(enc, image.namedParameters().get("encoder.mlp.4.weight").data(), "encoder frozen");
    assertArrayEquals(a, ((LinearGaussianDynamics) m[0]).dynamicsMatrix().data(), "dynamics frozen");
    assertFalse(java.util.Arrays.equals(dec, image.namedParameters().get("decoder.out.weight").data()),
        "decoder trained");
  }

  @Test
  void resumedRunIsBitwiseIdentical() throws Exception {
    Object[] straight = model();
    trainer(straight, config(7), dir.resolve("straight")).train(data(-1));
    Object[] first = model();
    trainer(first, config(3), dir.resolve("resumed")).train(data(-1)); // checkpoint at the pre-training boundary
    Object[] second = model(); // fresh weights: everything must come from the checkpoint
    long done = trainer(second, config(7), dir.resolve("resumed")).train(data(-1));
    assertEquals(7, done);
    Map<String, Tensor> want = ((ImageSensor) straight[1]).namedParameters();
    Map<String, Tensor> got = ((ImageSensor) second[1]).namedParameters();
    for (String k : want.keySet()) {
      assertArrayEquals(want.get(k).data(), got.get(k).data(), k);
    }
    assertArrayEquals(((LinearGaussianDynamics) straight[0]).dynamicsMatrix().data(),
        ((LinearGaussianDynamics) second[0]).dynamicsMatrix().data());
    // Every row of the uninterrupted run appears identically in the resumed run's metrics (which
    // also keep the row the first run logged at its last step, 3).
    List<String> metrics = Files.readAllLines(dir.resolve("resumed").resolve(Trainer.METRICS));
    List<String> expected = Files.readAllLines(dir.resolve("straight").resolve(Trainer.METRICS));
    assertEquals("step,loss,elbo,kl,recon,grad_norm", metrics.get(0));
    List<String> withoutStep3 = new java.util.ArrayList<>(metrics);
    withoutStep3.removeIf(l -> l.startsWith("3,"));
    assertEquals(expected, withoutStep3, "metrics of the resumed run");
  }

  @Test
  void frozenNormTailKeepsRunningStatisticsAndResumesBitwise() throws Exception {
    Trainer.Config c = config(8);
    c.frozenNormSteps = 3; // steps 5, 6, 7 use the running statistics
    Object[] straight = model();
    ImageSensor image = (ImageSensor) straight[1];
    image.train(true);
    trainer(straight, c, dir.resolve("straight")).train(data(-1));
    // Five training-mode steps moved the batch-norm counters; the frozen tail left them alone.
    Map<String, Tensor> buffers = image.namedBuffers();
    int counters = 0;
    for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
      if (e.getKey().endsWith("counter")) {
        assertEquals(5f, e.getValue().data()[0], e.getKey());
        counters++;
      }
    }
    assertTrue(counters > 0, "the encoder and decoder have batch norms");
    assertTrue(image.encoder().isTraining(), "the model's own mode is restored after training");
    // The tail changes the result: the same run without it differs.
    Object[] plain = model();
    ((ImageSensor) plain[1]).train(true);
    trainer(plain, config(8), dir.resolve("plain")).train(data(-1));
    assertFalse(java.util.Arrays.equals(image.namedParameters().get("encoder.mlp.4.weight").data(),
        ((ImageSensor) plain[1]).namedParameters().get("encoder.mlp.4.weight").data()));
    // Interrupted inside the tail (checkpoint at 6) and resumed: bitwise the straight run.
    Trainer.Config first = config(6);
    first.frozenNormSteps = 1; // step 5 frozen, as in the 8-step run
    Object[] a = model();
    ((ImageSensor) a[1]).train(true);
    trainer(a, first, dir.resolve("resumed")).train(data(-1));
    Object[] b = model();
    ((ImageSensor) b[1]).train(true);
    trainer(b, c, dir.resolve("resumed")).train(data(-1));
    Map<String, Tensor> want = image.namedParameters();
    Map<String, Tensor> got = ((ImageSensor) b[1]).namedParameters();
    for (String k : want.keySet()) {
      assertArrayEquals(want.get(k).data(), got.get(k).data(), k);
    }
    for (String k : buffers.keySet()) {
      assertArrayEquals(buffers.get(k).data(), ((ImageSensor) b[1]).namedBuffers().get(k).data(), k);
    }
  }

  /** {@link #model()} with one control and B learned as well. */
  private static Object[] controlledModel() {
    LinearGaussianDynamics dyn = new LinearGaussianDynamics(M, 1, new float[] {1, 0, 0, 1},
        new float[] {0.9f, 0.1f, 0f, 0.95f}, new float[] {0.1f, 0.3f}, new float[] {0.01f, 0, 0, 0.01f}, true, true,
        false);
    Object[] m = model();
    return new Object[] {dyn, m[1], m[2]};
  }

  /** {@link #data(int)} with controls u ~ U(−1, 1), [2, 2, 1]. */
  private static Trainer.Data controlled() {
    Trainer.Data plain = data(-1);
    return (step, rng) -> {
      Trainer.Batch b = plain.batch(step, rng);
      float[] u = new float[2 * 2];
      for (int i = 0; i < u.length; i++) {
        u[i] = (float) (2 * rng.nextDouble() - 1);
      }
      return new Trainer.Batch(b.observations(), null, Tensor.wrap(u, 2, 2, 1));
    };
  }

  @Test
  void dynamicsRateFactorScalesOnlyTheDynamicsStep() throws Exception {
    // Four steps: three of pre-training, then the fresh optimiser's first step, which moves every
    // weight by lr·g/(|g| + ε) (plus a decay of lr·λ·w, 1e-7 here), so A and B move by the factor
    // and nothing else changes.
    LinearGaussianDynamics start = (LinearGaussianDynamics) controlledModel()[0];
    float[] a0 = start.dynamicsMatrix().data().clone();
    float[] b0 = start.controlMatrix().data().clone();
    Object[] one = controlledModel();
    trainer(one, config(4), dir.resolve("one")).train(controlled());
    Trainer.Config slow = config(4);
    slow.dynamicsRateFactor = 0.1f;
    Object[] tenth = controlledModel();
    trainer(tenth, slow, dir.resolve("tenth")).train(controlled());
    LinearGaussianDynamics d1 = (LinearGaussianDynamics) one[0];
    LinearGaussianDynamics d2 = (LinearGaussianDynamics) tenth[0];
    float[][][] moved = {{a0, d1.dynamicsMatrix().data(), d2.dynamicsMatrix().data()},
        {b0, d1.controlMatrix().data(), d2.controlMatrix().data()}};
    for (float[][] w : moved) {
      for (int i = 0; i < w[0].length; i++) {
        assertEquals(1e-3, Math.abs(w[1][i] - w[0][i]), 1e-6, "moved by lr, entry " + i);
        assertEquals(0.1 * (w[1][i] - w[0][i]), w[2][i] - w[0][i], 2e-7, "moved by a tenth of it, entry " + i);
      }
    }
    Map<String, Tensor> want = ((ImageSensor) one[1]).namedParameters();
    Map<String, Tensor> got = ((ImageSensor) tenth[1]).namedParameters();
    for (String k : want.keySet()) {
      assertArrayEquals(want.get(k).data(), got.get(k).data(), k);
    }
    slow.dynamicsRateFactor = 0f;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> trainer(model(), slow, dir.resolve("bad")).train(data(-1)));
    assertEquals("dynamicsRateFactor must be finite and > 0, got 0.0", e.getMessage());
    assertFalse(Files.exists(dir.resolve("bad")), "nothing written for a bad setting");
    slow.dynamicsRateFactor = 0.5f;
    LinearGaussianDynamics fixed = new LinearGaussianDynamics(M, 0, new float[] {1, 0, 0, 1},
        new float[] {0.9f, 0.1f, 0f, 0.95f}, null, new float[] {0.01f, 0, 0, 0.01f}, false, false, false);
    e = assertThrows(IllegalArgumentException.class, () -> new Trainer(fixed,
        List.of((Sensor) model()[1]), slow, dir.resolve("fixed")).train(imagesOnly()));
    assertEquals("dynamicsRateFactor 0.5 needs learned dynamics; this model's A and B are fixed", e.getMessage());
  }

  @Test
  void slowDynamicsResumeBitwise() throws Exception {
    // With A and B in a group of their own, a run interrupted at the pre-training boundary and
    // again in the middle ends where the unbroken one does.
    Trainer.Config c = config(8);
    c.dynamicsRateFactor = 0.25f;
    Object[] straight = controlledModel();
    trainer(straight, c, dir.resolve("straight")).train(controlled());
    Trainer.Config part = config(3);
    part.dynamicsRateFactor = 0.25f;
    trainer(controlledModel(), part, dir.resolve("resumed")).train(controlled());
    part.steps = 5;
    trainer(controlledModel(), part, dir.resolve("resumed")).train(controlled());
    Object[] last = controlledModel();
    assertEquals(8, trainer(last, c, dir.resolve("resumed")).train(controlled()));
    LinearGaussianDynamics want = (LinearGaussianDynamics) straight[0];
    LinearGaussianDynamics got = (LinearGaussianDynamics) last[0];
    assertArrayEquals(want.dynamicsMatrix().data(), got.dynamicsMatrix().data(), "A");
    assertArrayEquals(want.controlMatrix().data(), got.controlMatrix().data(), "B");
    Map<String, Tensor> img = ((ImageSensor) straight[1]).namedParameters();
    for (String k : img.keySet()) {
      assertArrayEquals(img.get(k).data(), ((ImageSensor) last[1]).namedParameters().get(k).data(), k);
    }
  }

  @Test
  void frozenNormStepsOutsideTheRunAreRejected() {
    Trainer.Config c = config(4);
    c.frozenNormSteps = 4;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> trainer(model(), c, dir.resolve("bad")).train(data(-1)));
    assertTrue(e.getMessage().contains("frozenNormSteps must be in 0..3"), e.getMessage());
  }

  /** Images only, no controls: z → −z is then an exact symmetry of the whole model. */
  private static Object[] imageOnlyModel() {
    LinearGaussianDynamics dyn = new LinearGaussianDynamics(M, 0, new float[] {1, 0, 0, 1},
        new float[] {0.9f, 0.1f, 0f, 0.95f}, null, new float[] {0.01f, 0, 0, 0.01f}, true, false, false);
    return new Object[] {dyn, new ImageSensor(M, S, 2, 0.3f, 0.01f, 2f, 5f, new SplittableRandom(3))};
  }

  private static Trainer.Data imagesOnly() {
    Trainer.Data both = data(-1);
    return (step, rng) -> new Trainer.Batch(List.of(both.batch(step, rng).observations().get(0)), null, null);
  }

  private static List<String> signChecks(Path run) throws java.io.IOException {
    return Files.readAllLines(run.resolve(Trainer.SIGN_CHECKS));
  }

  @Test
  void signCheckKeepsTheBetterOfTheTwoSignsAndChangesNothingElse() throws Exception {
    // Learning rate 0: the weights change only through the check (before step 4), so the run
    // ends on the initial weights or on their exact mirror, as the log says.
    Trainer.Config c = config(5);
    c.sensorDropout = 0f;
    c.labelDropout = 0f;
    c.learningRate = 0f;
    Object[] plain = imageOnlyModel();
    new Trainer((LinearGaussianDynamics) plain[0], List.of((Sensor) plain[1]), c, dir.resolve("plain"))
        .train(imagesOnly());
    c.signCheckEvery = 1;
    Object[] checked = imageOnlyModel();
    new Trainer((LinearGaussianDynamics) checked[0], List.of((Sensor) checked[1]), c, dir.resolve("checked"))
        .train(imagesOnly());
    List<String> rows = signChecks(dir.resolve("checked"));
    assertEquals("step,elbo,elbo_mirrored,t,signs,mirrored", rows.get(0));
    assertEquals(2, rows.size(), rows.toString());
    String[] f = rows.get(1).split(",");
    assertEquals("4", f[0]);
    double elbo = Double.parseDouble(f[1]);
    double mirrored = Double.parseDouble(f[2]);
    // Without controls or other sensors nothing tells the signs apart, and the mirror is scored on
    // the mirrored samples: the two ELBOs agree to rounding, and the model is kept.
    assertTrue(Double.isFinite(elbo), rows.get(1));
    assertEquals(elbo, mirrored, 1e-6 * Math.abs(elbo), rows.get(1));
    assertEquals("--", f[4], "the one sign symmetry of a coupled A: z → −z");
    boolean flipped = f[5].equals("1");
    assertFalse(flipped, rows.get(1));
    ImageSensor want = (ImageSensor) plain[1];
    ImageSensor got = (ImageSensor) checked[1];
    Map<Tensor, float[]> reflection = want.latentReflection();
    for (Map.Entry<String, Tensor> e : want.namedParameters().entrySet()) {
      float[] w = e.getValue().data().clone();
      float[] factors = reflection.get(e.getValue());
      for (int i = 0; flipped && factors != null && i < w.length; i++) {
        w[i] *= factors[i];
      }
      assertArrayEquals(w, got.namedParameters().get(e.getKey()).data(), 0f, e.getKey()); // 0 == -0
    }
    // The check's own forward passes leave no trace in the batch-norm statistics (the encoder's
    // are before the mirrored layer, so they match the plain run's whatever the sign).
    for (Map.Entry<String, Tensor> e : want.namedBuffers().entrySet()) {
      if (!flipped || e.getKey().startsWith("encoder.")) {
        assertArrayEquals(e.getValue().data(), got.namedBuffers().get(e.getKey()).data(), e.getKey());
      }
    }
  }

  @Test
  void signCheckFlipsALatentWhoseSignContradictsTheLabels() throws Exception {
    // The linear sensor reports z₁ = −μ₁(x), the opposite of the image factor's mean: the mirrored
    // image sensor agrees with it, so the check must keep the mirror (learning rate 0, so nothing
    // else moves the weights). A broad decoder likelihood (σ = 50) keeps the reconstruction of
    // the two posteriors' different samples from drowning that gain in noise.
    Object[] m = model();
    ImageSensor image = new ImageSensor(M, S, 2, 0.3f, 0.01f, 50f, 5f, new SplittableRandom(3));
    m[1] = image;
    for (float[] w : new float[][] {image.namedParameters().get("encoder.mlp.4.weight").data()}) {
      for (int i = 0; i < w.length; i++) {
        w[i] *= 1000f; // a saturated encoder: μ(x) = ±10, far from −μ(x) in every frame
      }
    }
    int b = 32; // the gain varies between sequences; 32 of them make it clear, as a training batch does
    Trainer.Data contradicting = (step, rng) -> {
      float[] img = new float[b * 3 * 3 * S * S];
      for (int i = 0; i < img.length; i++) {
        img[i] = (float) (2 * rng.nextDouble() - 1);
      }
      float[] y = new float[b * 3];
      try (org.vssf.autodiff.Tape.Scope noGrad = org.vssf.autodiff.Tape.noGrad()) {
        float[] pre = image.encoder().forward(Tensor.wrap(img, b * 3, 3, S, S)).data();
        for (int i = 0; i < y.length; i++) {
          y[i] = (float) (-10 * Math.tanh(pre[i * M]));
        }
      }
      return new Trainer.Batch(List.of(Tensor.wrap(img, b, 3, 3, S, S), Tensor.wrap(y, b, 3, 1)), null, null);
    };
    Trainer.Config c = config(5);
    c.sensorDropout = 0f;
    c.labelDropout = 0f;
    c.learningRate = 0f;
    c.signCheckEvery = 1; // before step 4 only
    Map<Tensor, float[]> reflection = image.latentReflection();
    Map<String, float[]> before = new java.util.LinkedHashMap<>();
    image.namedParameters().forEach((k, v) -> before.put(k, v.data().clone()));
    trainer(m, c, dir.resolve("contradicting")).train(contradicting);
    String[] f = signChecks(dir.resolve("contradicting")).get(1).split(",");
    assertEquals("4", f[0]);
    assertTrue(Double.parseDouble(f[2]) > Double.parseDouble(f[1]) && Double.parseDouble(f[3]) > 2,
        String.join(",", f));
    assertEquals("1", f[5], "the mirror is kept");
    for (Map.Entry<String, Tensor> e : image.namedParameters().entrySet()) {
      float[] w = before.get(e.getKey()).clone();
      float[] factors = reflection.get(e.getValue());
      for (int i = 0; factors != null && i < w.length; i++) {
        w[i] *= factors[i];
      }
      assertArrayEquals(w, e.getValue().data(), 0f, e.getKey());
    }
  }

  @Test
  void signCheckSwapsALatentWhoseAxesContradictTheLabels() throws Exception {
    // Isotropic dynamics (A = 0.9·I, Σw, Σz ∝ I): swapping the two axes is a symmetry. The linear
    // sensor reports (μ₂(x), μ₁(x)), the image factor's mean with its axes swapped: the swapped
    // image sensor agrees with it, so the check must keep the swap "+1+0" (learning rate 0).
    float[] eye = {1, 0, 0, 1};
    LinearGaussianDynamics dyn = new LinearGaussianDynamics(M, 0, eye, new float[] {0.9f, 0, 0, 0.9f}, null,
        new float[] {0.01f, 0, 0, 0.01f}, false, false, false);
    ImageSensor image = new ImageSensor(M, S, 2, 0.3f, 0.01f, 50f, 5f, new SplittableRandom(3));
    float[] w = image.namedParameters().get("encoder.mlp.4.weight").data();
    for (int i = 0; i < w.length; i++) {
      w[i] *= 1000f; // a saturated encoder: μ(x) = ±10
    }
    LinearSensor linear = new LinearSensor(M, M, eye, new float[] {0.05f, 0, 0, 0.05f});
    int b = 32;
    Trainer.Data swapped = (step, rng) -> {
      float[] img = new float[b * 3 * 3 * S * S];
      for (int i = 0; i < img.length; i++) {
        img[i] = (float) (2 * rng.nextDouble() - 1);
      }
      float[] y = new float[b * 3 * M];
      try (org.vssf.autodiff.Tape.Scope noGrad = org.vssf.autodiff.Tape.noGrad()) {
        float[] pre = image.encoder().forward(Tensor.wrap(img, b * 3, 3, S, S)).data();
        for (int i = 0; i < b * 3; i++) {
          y[i * M] = (float) (10 * Math.tanh(pre[i * M + 1]));
          y[i * M + 1] = (float) (10 * Math.tanh(pre[i * M]));
        }
      }
      return new Trainer.Batch(List.of(Tensor.wrap(img, b, 3, 3, S, S), Tensor.wrap(y, b, 3, M)), null, null);
    };
    assertEquals(7, dyn.latentSymmetries().size(), "three reflections and four signed swaps");
    Trainer.Config c = config(5);
    c.sensorDropout = 0f;
    c.labelDropout = 0f;
    c.learningRate = 0f;
    c.signCheckEvery = 1; // before step 4 only
    Map<Tensor, ImageSensor.Gather> swap = image.latentPermutation(new int[] {1, 0}, new float[] {1f, 1f});
    Map<String, float[]> before = new java.util.LinkedHashMap<>();
    image.namedParameters().forEach((k, v) -> before.put(k, v.data().clone()));
    new Trainer(dyn, List.of(image, linear), c, dir.resolve("swapped")).train(swapped);
    String[] f = signChecks(dir.resolve("swapped")).get(1).split(",");
    assertEquals("+1+0", f[4], String.join(",", f));
    assertEquals("1", f[5], "the swap is kept: " + String.join(",", f));
    for (Map.Entry<String, Tensor> e : image.namedParameters().entrySet()) {
      Tensor want = Tensor.wrap(before.get(e.getKey()).clone(), e.getValue().shape());
      ImageSensor.Gather g = swap.get(e.getValue());
      if (g != null) {
        g.apply(want);
      }
      assertArrayEquals(want.data(), e.getValue().data(), 0f, e.getKey());
    }
  }

  @Test
  void centringShiftZeroesTheGradientOfThePriorAndTransitionTerms() {
    SplittableRandom rng = new SplittableRandom(5);
    for (int m = 1; m <= 3; m++) {
      for (int trial = 0; trial < 5; trial++) {
        double[] sz = randomSpd(m, rng);
        double[] sw = randomSpd(m, rng);
        float[] a = new float[m * m];
        double[] z1 = new double[m];
        double[] r = new double[m];
        for (int i = 0; i < m * m; i++) {
          a[i] = (float) (rng.nextDouble() - 0.5);
        }
        for (int i = 0; i < m; i++) {
          z1[i] = 3 * rng.nextDouble() - 1.5;
          r[i] = 0.1 * rng.nextDouble() - 0.05;
        }
        double k = 1 + 19 * rng.nextDouble();
        double[] delta = Trainer.centringShift(a, sz.clone(), sw.clone(), z1, r, k, m);
        // Oracle: the gradient Σz⁻¹(m̄+δ) + k(I−A)ᵀΣw⁻¹(r̄+(I−A)δ), with general inverses.
        org.apache.commons.math3.linear.RealMatrix izm = inverse(sz, m);
        org.apache.commons.math3.linear.RealMatrix iwm = inverse(sw, m);
        double[][] dm = new double[m][m];
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < m; j++) {
            dm[i][j] = (i == j ? 1 : 0) - a[i * m + j];
          }
        }
        org.apache.commons.math3.linear.RealMatrix d = org.apache.commons.math3.linear.MatrixUtils.createRealMatrix(dm);
        org.apache.commons.math3.linear.RealVector dv = new org.apache.commons.math3.linear.ArrayRealVector(delta);
        org.apache.commons.math3.linear.RealVector grad = izm.operate(dv.add(new org.apache.commons.math3.linear
            .ArrayRealVector(z1))).add(d.transpose().multiply(iwm).operate(new org.apache.commons.math3.linear
            .ArrayRealVector(r).add(d.operate(dv))).mapMultiply(k));
        double scale = izm.operate(new org.apache.commons.math3.linear.ArrayRealVector(z1)).getNorm() + 1;
        assertEquals(0, grad.getNorm() / scale, 1e-8, "m " + m + " trial " + trial);
      }
    }
    // One dimension in closed form: δ = −(m̄/σz² + k(1−a)r̄/σw²) / (1/σz² + k(1−a)²/σw²).
    double[] delta = Trainer.centringShift(new float[] {0.5f}, new double[] {2}, new double[] {0.1},
        new double[] {0.4}, new double[] {0.01}, 4, 1);
    assertEquals(-(0.4 / 2 + 4 * 0.5 * 0.01 / 0.1) / (1 / 2.0 + 4 * 0.25 / 0.1), delta[0], 1e-12);
    NotPositiveDefiniteException e = assertThrows(NotPositiveDefiniteException.class, () -> Trainer.centringShift(
        new float[] {1f}, new double[] {-1}, new double[] {1}, new double[] {0}, new double[] {0}, 1, 1));
    assertTrue(e.getMessage().contains("prior covariance Σz"), e.getMessage());
  }

  private static double[] randomSpd(int m, SplittableRandom rng) {
    double[] g = new double[m * m];
    for (int i = 0; i < g.length; i++) {
      g[i] = rng.nextDouble() - 0.5;
    }
    double[] s = new double[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double v = i == j ? 0.1 : 0;
        for (int q = 0; q < m; q++) {
          v += g[i * m + q] * g[j * m + q];
        }
        s[i * m + j] = v;
      }
    }
    return s;
  }

  private static org.apache.commons.math3.linear.RealMatrix inverse(double[] s, int m) {
    double[][] rows = new double[m][m];
    for (int i = 0; i < m; i++) {
      System.arraycopy(s, i * m, rows[i], 0, m);
    }
    return org.apache.commons.math3.linear.MatrixUtils.inverse(
        org.apache.commons.math3.linear.MatrixUtils.createRealMatrix(rows));
  }

  /**
   * An image-only random walk (A = I, so a constant shift costs the dynamics nothing and only the
   * prior pins the origin) with a latent offset, its latent moved by {@code c} on both axes.
   */
  private static Object[] offsetModel(double c) {
    LinearGaussianDynamics dyn = new LinearGaussianDynamics(M, 0, new float[] {1, 0, 0, 1},
        new float[] {1, 0, 0, 1}, null, new float[] {0.01f, 0, 0, 0.01f}, false, false, false);
    ImageSensor image = new ImageSensor(M, S, 2, 0.3f, 0.01f, 2f, 5f, new SplittableRandom(3)).withLatentOffset();
    Object[] m = {dyn, image};
    if (c != 0) {
      image.latentShift(new double[] {c, c});
    }
    return m;
  }

  /** Images only, {@code n} fixed sequences of three frames that can be enumerated; steps draw two. */
  private static Trainer.Data enumerable(int n) {
    return new Trainer.Data() {
      @Override
      public Trainer.Batch batch(long step, SplittableRandom rng) {
        return sequences(new int[] {rng.nextInt(n), rng.nextInt(n)});
      }

      @Override
      public int size() {
        return n;
      }

      @Override
      public Trainer.Batch sequences(int[] idx) {
        int frame = 3 * S * S;
        float[] img = new float[idx.length * 3 * frame];
        for (int i = 0; i < idx.length; i++) {
          SplittableRandom r = new SplittableRandom(idx[i]);
          for (int j = 0; j < 3 * frame; j++) {
            img[i * 3 * frame + j] = (float) (2 * r.nextDouble() - 1);
          }
        }
        return new Trainer.Batch(List.of(Tensor.wrap(img, idx.length, 3, 3, S, S)), null, null);
      }
    };
  }

  /** Five steps at learning rate 0 with a centring check before step 4 (drawing {@code sequences}). */
  private static Trainer.Config centreConfig(int sequences) {
    Trainer.Config c = config(5);
    c.sensorDropout = 0f;
    c.labelDropout = 0f;
    c.learningRate = 0f;
    c.centreEvery = 1;
    c.centreSequences = sequences;
    return c;
  }

  private static String[] centreCheck(Object[] m, Trainer.Config c, Path run) throws java.io.IOException {
    return centreCheck(m, c, run, imagesOnly());
  }

  private static String[] centreCheck(Object[] m, Trainer.Config c, Path run, Trainer.Data data)
      throws java.io.IOException {
    new Trainer((LinearGaussianDynamics) m[0], List.of((Sensor) m[1]), c, run).train(data);
    List<String> rows = Files.readAllLines(run.resolve(Trainer.CENTRE_CHECKS));
    assertEquals("step,sequences,z1_mean,residual_mean,shift,offset", rows.get(0));
    assertEquals(2, rows.size(), rows.toString());
    return rows.get(1).split(",");
  }

  @Test
  void centreCheckUndoesAMovedOriginAndChangesNothingElse() throws Exception {
    // Learning rate 0: the weights change only through the check (before step 4). A model whose
    // latent was moved by 3 on both axes must be moved back to (nearly) where the same model,
    // unmoved, ends: the image factors (Λx = 10 per frame) dominate the prior (Σz = I), so its
    // posterior moved by nearly 3.
    Trainer.Config c = centreConfig(16);
    Object[] base = offsetModel(0);
    Object[] moved = offsetModel(3);
    String[] b = centreCheck(base, c, dir.resolve("base"));
    String[] f = centreCheck(moved, c, dir.resolve("moved"));
    assertEquals("4", f[0]);
    assertEquals("16", f[1]);
    float[] ob = ((ImageSensor) base[1]).latentOffset().data();
    float[] om = ((ImageSensor) moved[1]).latentOffset().data();
    for (int i = 0; i < M; i++) {
      double shiftBase = Double.parseDouble(b[4].split(" ")[i]);
      double shiftMoved = Double.parseDouble(f[4].split(" ")[i]);
      assertEquals(-3, shiftMoved - shiftBase, 0.45, "axis " + i + ": " + String.join(",", f));
      assertEquals(ob[i], om[i], 0.45, "axis " + i + ": the two end near the same origin");
      assertEquals(om[i], Double.parseDouble(f[5].split(" ")[i]), 1e-5, "the log's offset");
    }
    // The offset is saved with the model, and a loaded sensor uses it (loading replaces buffers).
    Object[] loaded = offsetModel(0);
    Trainer.loadModel(dir.resolve("moved"), (LinearGaussianDynamics) loaded[0], List.of((Sensor) loaded[1]));
    ImageSensor li = (ImageSensor) loaded[1];
    assertArrayEquals(om, li.latentOffset().data(), "the loaded offset");
    li.eval();
    ((ImageSensor) moved[1]).eval();
    try (org.vssf.autodiff.Tape.Scope noGrad = org.vssf.autodiff.Tape.noGrad()) {
      Tensor frames = Tensor.wrap(imagesOnly().batch(0, new SplittableRandom(1)).observations().get(0).data(),
          6, 3, S, S);
      assertArrayEquals(((ImageSensor) moved[1]).means(frames).data(), li.means(frames).data(),
          "the loaded sensor's means");
    }
    // Its forward passes leave no trace in the encoder's batch-norm statistics (the decoder's then
    // see step 4's different samples), and only the offset and the decoder's first bias move.
    Object[] plain = offsetModel(3);
    c.centreEvery = 0;
    new Trainer((LinearGaussianDynamics) plain[0], List.of((Sensor) plain[1]), c, dir.resolve("plain"))
        .train(imagesOnly());
    ImageSensor want = (ImageSensor) plain[1];
    ImageSensor got = (ImageSensor) moved[1];
    for (Map.Entry<String, Tensor> e : want.namedBuffers().entrySet()) {
      if (e.getKey().startsWith("encoder.")) {
        assertArrayEquals(e.getValue().data(), got.namedBuffers().get(e.getKey()).data(), e.getKey());
      }
    }
    String firstBias = "decoder.mlp.0.bias";
    assertTrue(want.namedParameters().containsKey(firstBias), want.namedParameters().keySet().toString());
    for (Map.Entry<String, Tensor> e : want.namedParameters().entrySet()) {
      if (!e.getKey().equals(firstBias)) {
        assertArrayEquals(e.getValue().data(), got.namedParameters().get(e.getKey()).data(), e.getKey());
      }
    }
  }

  @Test
  void centreCheckAveragesEverySequenceOnceWhenTheDataCanBeEnumerated() throws Exception {
    // Five sequences in batches of two: 2 + 2 + 1, whatever centreSequences says; and the same
    // data drawn at random instead gives a different average.
    Trainer.Config c = centreConfig(64);
    Trainer.Data five = enumerable(5);
    List<String> asked = new java.util.ArrayList<>();
    Trainer.Data recorded = new Trainer.Data() {
      @Override
      public Trainer.Batch batch(long step, SplittableRandom rng) {
        return five.batch(step, rng);
      }

      @Override
      public int size() {
        return 5;
      }

      @Override
      public Trainer.Batch sequences(int[] idx) {
        asked.add(java.util.Arrays.toString(idx));
        return five.sequences(idx);
      }
    };
    String[] all = centreCheck(offsetModel(3), c, dir.resolve("all"), recorded);
    assertEquals("5", all[1]);
    assertEquals(List.of("[0, 1]", "[2, 3]", "[4]"), asked, "every sequence once, in a step's batch size");
    String[] again = centreCheck(offsetModel(3), c, dir.resolve("again"), enumerable(5));
    assertEquals(String.join(",", all), String.join(",", again), "deterministic");
    Trainer.Data drawn = enumerable(5);
    String[] sampled = centreCheck(offsetModel(3), c, dir.resolve("drawn"), (step, rng) -> drawn.batch(step, rng));
    assertEquals("64", sampled[1]);
    assertFalse(all[2].equals(sampled[2]), all[2] + " vs " + sampled[2]);
  }

  @Test
  void centreCheckNeedsALatentOffset() {
    Trainer.Config c = config(5);
    c.centreEvery = 1;
    Object[] m = imageOnlyModel();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Trainer((LinearGaussianDynamics) m[0], List.of((Sensor) m[1]), c, dir.resolve("bad"))
            .train(imagesOnly()));
    assertEquals("centreEvery needs an image sensor with a latent offset (ImageSensor.withLatentOffset());"
        + " the model has none", e.getMessage());
  }

  @Test
  void pairedTStatistic() {
    assertEquals(Double.POSITIVE_INFINITY, Trainer.pairedT(new float[] {3, 4}, new float[] {1, 2}));
    // differences 1, 3: mean 2, sample sd √2, standard error 1
    assertEquals(2.0, Trainer.pairedT(new float[] {1, 3}, new float[] {0, 0}), 1e-12);
    assertEquals(0.0, Trainer.pairedT(new float[] {1, 1}, new float[] {1, 1}));
  }

  @Test
  void signChecksResumeBitwise() throws Exception {
    Trainer.Config c = config(8);
    c.signCheckEvery = 2; // before steps 5 and 7
    Object[] straight = model();
    trainer(straight, c, dir.resolve("straight")).train(data(-1));
    Trainer.Config first = config(6);
    first.signCheckEvery = 2;
    trainer(model(), first, dir.resolve("resumed")).train(data(-1)); // checkpoint at 6, after the check at 5
    Object[] second = model();
    trainer(second, c, dir.resolve("resumed")).train(data(-1));
    Map<String, Tensor> want = ((ImageSensor) straight[1]).namedParameters();
    for (Map.Entry<String, Tensor> e : ((ImageSensor) second[1]).namedParameters().entrySet()) {
      assertArrayEquals(want.get(e.getKey()).data(), e.getValue().data(), e.getKey());
    }
    List<String> rows = signChecks(dir.resolve("straight"));
    assertEquals(3, rows.size(), rows.toString());
    assertEquals(rows, signChecks(dir.resolve("resumed")));
  }

  @Test
  void signCheckNeedsAnImageSensor() {
    Object[] m = model();
    Trainer.Config c = config(4);
    c.signCheckEvery = 1;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Trainer((LinearGaussianDynamics) m[0], List.of((Sensor) m[2]), c, dir.resolve("bad"))
            .train((step, rng) -> new Trainer.Batch(List.of(Tensor.zeros(2, 3, 1)), null, null)));
    assertEquals("signCheckEvery needs an image sensor to mirror; the model has none", e.getMessage());
  }

  @Test
  void progressIsReportedAndTheTrainedModelLoadsForEvaluation() throws Exception {
    Object[] m = model();
    Path run = dir.resolve("load");
    List<long[]> seen = new java.util.ArrayList<>();
    trainer(m, config(4), run).onProgress((done, total, loss) -> {
      assertTrue(Float.isFinite(loss));
      seen.add(new long[] {done, total});
    }).train(data(-1));
    assertEquals(4, seen.size());
    assertArrayEquals(new long[] {4, 4}, seen.get(3));
    Object[] fresh = model();
    ((ImageSensor) fresh[1]).namedParameters().get("decoder.out.weight").data()[0] += 1f;
    Map<String, String> meta = Trainer.loadModel(run, (LinearGaussianDynamics) fresh[0],
        List.of((Sensor) fresh[1], (Sensor) fresh[2]));
    assertEquals("4", meta.get("trainer.step"));
    Map<String, Tensor> want = ((ImageSensor) m[1]).namedParameters();
    Map<String, Tensor> got = ((ImageSensor) fresh[1]).namedParameters();
    for (String k : want.keySet()) {
      assertArrayEquals(want.get(k).data(), got.get(k).data(), k);
    }
    java.io.FileNotFoundException missing = assertThrows(java.io.FileNotFoundException.class,
        () -> Trainer.loadModel(dir.resolve("nothing"), (LinearGaussianDynamics) fresh[0], List.of()));
    assertTrue(missing.getMessage().startsWith("no checkpoint in "), missing.getMessage());
  }

  @Test
  void divergenceStopsAndKeepsTheLastCheckpoint() throws Exception {
    Object[] m = model();
    Path run = dir.resolve("diverge");
    Trainer.TrainingDivergedException e = assertThrows(Trainer.TrainingDivergedException.class,
        () -> trainer(m, config(8), run).train(data(4)));
    assertTrue(e.getMessage().startsWith("training stopped at step 4: "), e.getMessage());
    assertTrue(e.getMessage().endsWith(run.resolve(Trainer.CHECKPOINT).toString()), e.getMessage());
    assertTrue(Files.exists(run.resolve(Trainer.CHECKPOINT)), "the step-3 checkpoint is kept");
  }

  @Test
  void labelDropoutHidesOnlyTheLinearSensorForWholeSequences() {
    Object[] m = model();
    List<Sensor> sensors = List.of((Sensor) m[1], (Sensor) m[2]);
    int b = 400;
    int t = 3;
    float[] given = new float[b * t];
    java.util.Arrays.fill(given, 1f);
    given[5] = 0f; // sequence 1, step 2: a label missing in the data stays missing
    Trainer.Batch batch = new Trainer.Batch(List.of(Tensor.zeros(b, t, 3, 1, 1), Tensor.zeros(b, t, 1)),
        java.util.Arrays.asList(null, Tensor.wrap(given, b, t)), null);
    assertTrue(Trainer.filterMasks(sensors, batch, 0f, 0f, new SplittableRandom(1)) == batch.masks(),
        "no dropout: the data's masks, nothing drawn");
    List<Tensor> masks = Trainer.filterMasks(sensors, batch, 0f, 0.5f, new SplittableRandom(1));
    for (float v : masks.get(0).data()) {
      assertEquals(1f, v, "the images are always seen");
    }
    float[] labels = masks.get(1).data();
    int hidden = 0;
    for (int s = 0; s < b; s++) {
      boolean off = labels[s * t] == 0f;
      hidden += off ? 1 : 0;
      for (int k = 0; k < t; k++) {
        float want = off ? 0f : given[s * t + k];
        assertEquals(want, labels[s * t + k], "sequence " + s + " step " + k + ": whole sequences hidden");
      }
    }
    // Binomial(400, 1/2): mean 200, sd 10; 5 sd either side.
    assertTrue(hidden > 150 && hidden < 250, "hidden sequences: " + hidden);
    // Sensor dropout on top draws the same per-sensor decisions as before and hides images too.
    List<Tensor> both = Trainer.filterMasks(sensors, batch, 0.5f, 0.5f, new SplittableRandom(2));
    List<Tensor> sensorOnly = Trainer.filterMasks(sensors, batch, 0.5f, 0f, new SplittableRandom(2));
    assertArrayEquals(sensorOnly.get(0).data(), both.get(0).data(), "label dropout never touches images");
    int imagesHidden = 0;
    for (int s = 0; s < b; s++) {
      imagesHidden += both.get(0).data()[s * t] == 0f ? 1 : 0;
      assertTrue(both.get(1).data()[s * t] <= sensorOnly.get(1).data()[s * t], "only more labels hidden");
    }
    assertTrue(imagesHidden > 150 && imagesHidden < 250, "images hidden by sensor dropout: " + imagesHidden);
  }
}
