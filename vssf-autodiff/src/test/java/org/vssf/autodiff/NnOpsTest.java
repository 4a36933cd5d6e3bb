package org.vssf.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vssf.testing.MiniJson;
import org.vssf.testing.SeededTest;
import org.vssf.testing.Tolerances;

/** Network ops: gradchecks and the PyTorch float64 reference values. */
class NnOpsTest extends SeededTest {
  private static final String REF = "/reference/torch-nn-reference.json";

  private Tensor param(int... shape) {
    return Tensor.wrap(randomFloats(Shapes.size(shape)), shape).requiresGrad(true);
  }

  static Tensor input(Object refCase, String name) {
    Object in = MiniJson.at(refCase, "inputs", name);
    double[] v = MiniJson.doubles(MiniJson.at(in, "data"));
    double[] s = MiniJson.doubles(MiniJson.at(in, "shape"));
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    int[] shape = new int[s.length];
    for (int i = 0; i < s.length; i++) {
      shape[i] = (int) s[i];
    }
    return Tensor.wrap(f, shape).requiresGrad(true);
  }

  static double[] array(Object refCase, String... path) {
    Object node = MiniJson.at(refCase, path);
    return MiniJson.doubles(node instanceof java.util.Map ? MiniJson.at(node, "data") : node);
  }

  /** Runs backward of Σ w ⊙ out with the reference loss weights. */
  static void backwardWithReferenceWeights(Object refCase, Tensor out) {
    double[] w = array(refCase, "loss_weights");
    float[] wf = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      wf[i] = (float) w[i];
    }
    Ops.sum(Ops.mul(out, Tensor.wrap(wf, out.shape()))).backward();
  }

  static void assertMatches(String what, double[] expected, float[] actual, double rel) {
    double max = 0;
    for (double e : expected) {
      max = Math.max(max, Math.abs(e));
    }
    double[] scale = new double[expected.length];
    java.util.Arrays.fill(scale, Math.max(max, 1e-6));
    Tolerances.assertClose(what, expected, scale, actual, 0, null, rel);
  }

  @Test
  void batchNormMatchesTorchTrainingMode() {
    Object c = MiniJson.at(MiniJson.resource(getClass(), REF), "cases", "batch_norm_train_nchw");
    Tensor x = input(c, "x");
    Tensor s = input(c, "s");
    Tensor o = input(c, "o");
    NnOps.BatchNormResult r = NnOps.batchNorm(x, s, o, new int[] {0, 2, 3}, 1e-5f);
    assertMatches("batchNorm forward", array(c, "output"), r.output.data(), 1e-5);
    assertArrayEquals(new int[] {1, 3, 1, 1}, r.mean.shape());
    backwardWithReferenceWeights(c, r.output);
    assertMatches("batchNorm dx", array(c, "grads", "x"), x.grad(), 1e-4);
    assertMatches("batchNorm dscale", array(c, "grads", "s"), s.grad(), 1e-4);
    assertMatches("batchNorm doffset", array(c, "grads", "o"), o.grad(), 1e-4);
  }

  @Test
  void batchNormGradcheckOverBatchAndTime() {
    // [B, T, F] with statistics over batch and time together, as the encoder's sequences need.
    Tensor x = param(3, 4, 2);
    Tensor s = param(2);
    Tensor o = param(2);
    GradCheck.check("batchNorm over (B,T)" + seedInfo(),
        t -> NnOps.batchNorm(t[0], t[1], t[2], new int[] {0, 1}, 1e-3f).output, rng, x, s, o);
    Tensor x4 = param(2, 3, 2, 2);
    GradCheck.check("batchNorm NCHW" + seedInfo(),
        t -> NnOps.batchNorm(t[0], t[1], t[2], new int[] {0, 2, 3}, 1e-3f).output, rng, x4,
        param(1, 3, 1, 1), param(3));
  }

  @Test
  void fusedBatchNormMatchesTheComposite() {
    int[][] shapes = {{4, 3, 5, 2}, {3, 4, 2}, {6, 2}};
    int[][] axes = {{0, 2, 3}, {0, 1}, {0}};
    for (int k = 0; k < shapes.length; k++) {
      Tensor x = param(shapes[k]);
      int[] fs = shapes[k].clone();
      for (int a : axes[k]) {
        fs[a] = 1;
      }
      Tensor s = param(fs);
      Tensor o = param(fs);
      float[] w = randomFloats(x.size());
      NnOps.BatchNormResult fused = NnOps.batchNorm(x, s, o, axes[k], 1e-3f);
      Ops.sum(Ops.mul(fused.output, Tensor.wrap(w, x.shape()))).backward();
      float[][] g1 = {x.grad().clone(), s.grad().clone(), o.grad().clone()};
      x.zeroGrad();
      s.zeroGrad();
      o.zeroGrad();
      NnOps.BatchNormResult comp = NnOps.batchNormComposite(x, s, o, axes[k], 1e-3f);
      assertArrayEquals(comp.output.data(), fused.output.data(), 2e-5f, "forward " + k);
      assertArrayEquals(comp.mean.data(), fused.mean.data(), 1e-6f);
      assertArrayEquals(comp.variance.data(), fused.variance.data(), 1e-5f);
      Ops.sum(Ops.mul(comp.output, Tensor.wrap(w, x.shape()))).backward();
      assertArrayEquals(x.grad(), g1[0], 1e-4f, "dx " + k);
      assertArrayEquals(s.grad(), g1[1], 1e-4f, "dscale " + k);
      assertArrayEquals(o.grad(), g1[2], 1e-4f, "doffset " + k);
    }
    // Non-contiguous feature axes (reduce the middle axis only) take the composite path.
    Tensor x = param(2, 3, 4);
    GradCheck.check("batchNorm middle axis" + seedInfo(),
        t -> NnOps.batchNorm(t[0], t[1], t[2], new int[] {1}, 1e-3f).output, rng, x, param(2, 1, 4), param(2, 1, 4));
  }

  /**
   * The fused batch norm against a direct double-precision evaluation of the forward pass and the
   * closed-form gradients, over NCHW shapes whose spatial runs are awkward lengths (1, 3, 5, 15,
   * 17, 33, 35 elements: every tail of the unrolled sums), and an offset mean (the variance
   * is a sum of squared deviations, not E[x²] − E[x]²).
   */
  @Test
  void fusedBatchNormMatchesDoublePrecisionReference() {
    int[][] shapes = {{3, 2, 1, 1}, {2, 3, 1, 3}, {1, 2, 5, 1}, {4, 3, 3, 5}, {2, 2, 1, 17},
      {3, 1, 3, 11}, {2, 3, 5, 7}, {5, 2, 1, 1}};
    for (int[] shape : shapes) {
      int nb = shape[0];
      int ch = shape[1];
      int inner = shape[2] * shape[3];
      float[] xv = randomFloats(Shapes.size(shape));
      for (int i = 0; i < xv.length; i++) {
        xv[i] = 3f + 0.5f * xv[i];
      }
      Tensor x = Tensor.wrap(xv, shape).requiresGrad(true);
      Tensor s = param(1, ch, 1, 1);
      Tensor o = param(1, ch, 1, 1);
      float[] w = randomFloats(x.size());
      float eps = 1e-3f;
      NnOps.BatchNormResult r = NnOps.batchNorm(x, s, o, new int[] {0, 2, 3}, eps);
      Ops.sum(Ops.mul(r.output, Tensor.wrap(w, shape))).backward();

      double n = (double) nb * inner;
      double[] y = new double[xv.length];
      double[] dx = new double[xv.length];
      double[] ds = new double[ch];
      double[] dof = new double[ch];
      for (int c = 0; c < ch; c++) {
        double mean = 0;
        for (int b = 0; b < nb; b++) {
          for (int i = 0; i < inner; i++) {
            mean += xv[(b * ch + c) * inner + i];
          }
        }
        mean /= n;
        double var = 0;
        for (int b = 0; b < nb; b++) {
          for (int i = 0; i < inner; i++) {
            double d = xv[(b * ch + c) * inner + i] - mean;
            var += d * d;
          }
        }
        var /= n;
        double inv = 1 / Math.sqrt(var + eps);
        double sumDy = 0;
        double sumDyXhat = 0;
        for (int b = 0; b < nb; b++) {
          for (int i = 0; i < inner; i++) {
            int e = (b * ch + c) * inner + i;
            double xhat = (xv[e] - mean) * inv;
            y[e] = xhat * s.data()[c] + o.data()[c];
            sumDy += w[e];
            sumDyXhat += w[e] * xhat;
          }
        }
        ds[c] = sumDyXhat;
        dof[c] = sumDy;
        for (int b = 0; b < nb; b++) {
          for (int i = 0; i < inner; i++) {
            int e = (b * ch + c) * inner + i;
            double xhat = (xv[e] - mean) * inv;
            dx[e] = s.data()[c] * inv / n * (n * w[e] - sumDy - xhat * sumDyXhat);
          }
        }
      }
      String what = "batchNorm " + Shapes.str(shape) + seedInfo();
      assertMatches(what + " forward", y, r.output.data(), 1e-5);
      assertMatches(what + " dx", dx, x.grad(), 1e-4);
      assertMatches(what + " dscale", ds, s.grad(), 1e-5);
      assertMatches(what + " doffset", dof, o.grad(), 1e-5);
    }
  }

  @Test
  void batchNormInferenceUsesGivenStatistics() {
    Tensor x = param(4, 3);
    Tensor mean = Tensor.of(new float[] {0.1f, -0.2f, 0.3f}, 1, 3);
    Tensor var = Tensor.of(new float[] {1f, 4f, 0.25f}, 1, 3);
    Tensor s = Tensor.of(new float[] {2f, 1f, 1f}, 3);
    Tensor o = Tensor.of(new float[] {0f, 1f, 0f}, 3);
    Tensor y = NnOps.batchNormInference(x, s, o, mean, var, 0f);
    assertEquals((x.get(2, 1) + 0.2f) / 2f + 1f, y.get(2, 1), 1e-6);
    assertEquals(2f * (x.get(3, 0) - 0.1f), y.get(3, 0), 1e-6);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NnOps.batchNorm(x, Tensor.zeros(4), o, new int[] {0}, 1e-5f));
    assertEquals("batchNorm: scale of shape [4] does not hold one value per feature of [1,3]", e.getMessage());
    Tape.clear();
  }

  @Test
  void fusedInferenceBatchNormMatchesTheComposite() {
    int[][] shapes = {{4, 3, 5, 2}, {3, 4, 2}, {6, 2}, {2, 3, 4}};
    int[][] features = {{1, 3, 1, 1}, {1, 1, 2}, {1, 2}, {2, 3, 1}};
    for (int k = 0; k < shapes.length; k++) {
      Tensor x = param(shapes[k]);
      Tensor s = param(features[k]);
      Tensor o = param(features[k]);
      Tensor mean = Tensor.wrap(randomFloats(s.size()), features[k]);
      float[] v = randomFloats(s.size());
      for (int i = 0; i < v.length; i++) {
        v[i] = 0.2f + v[i] * v[i];
      }
      Tensor var = Tensor.wrap(v, features[k]);
      float[] w = randomFloats(x.size());
      Tensor fused = NnOps.batchNormInference(x, s, o, mean, var, 1e-3f);
      Ops.sum(Ops.mul(fused, Tensor.wrap(w, x.shape()))).backward();
      float[][] g1 = {x.grad().clone(), s.grad().clone(), o.grad().clone()};
      x.zeroGrad();
      s.zeroGrad();
      o.zeroGrad();
      Tensor comp = NnOps.batchNormInferenceComposite(x, s, o, mean, var, 1e-3f);
      assertArrayEquals(comp.data(), fused.data(), 0f, "forward, bitwise " + k);
      Ops.sum(Ops.mul(comp, Tensor.wrap(w, x.shape()))).backward();
      assertArrayEquals(x.grad(), g1[0], 1e-5f, "dx " + k);
      assertArrayEquals(s.grad(), g1[1], 1e-4f, "dscale " + k);
      assertArrayEquals(o.grad(), g1[2], 1e-4f, "doffset " + k);
      GradCheck.check("batchNormInference " + k + seedInfo(),
          t -> NnOps.batchNormInference(t[0], t[1], t[2], mean, var, 1e-3f), rng, x, s, o);
    }
    // Features on non-adjacent axes take the composite path; a mean that fits no axis is refused.
    Tensor x = param(2, 3, 4);
    Tensor stat = Tensor.full(0.5f, 2, 1, 4);
    GradCheck.check("batchNormInference split features" + seedInfo(),
        t -> NnOps.batchNormInference(t[0], t[1], t[2], stat, stat, 1e-3f), rng, x, param(2, 1, 4), param(2, 1, 4));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NnOps.batchNormInference(x, param(3), param(3), Tensor.zeros(1, 2, 1), Tensor.zeros(1, 2, 1), 0f));
    assertEquals("batchNormInference: mean of shape [1,2,1] does not fit the input [2,3,4]", e.getMessage());
    Tape.clear();
  }

  private void checkTorchConv(String name, boolean transposed, int stride, int pad) {
    Object c = MiniJson.at(MiniJson.resource(getClass(), REF), "cases", name);
    Tensor x = input(c, "x");
    Tensor w = input(c, "w");
    Tensor b = input(c, "b");
    Tensor y = transposed ? NnOps.convTranspose2d(x, w, b, stride, pad) : NnOps.conv2d(x, w, b, stride, pad);
    assertMatches(name + " forward", array(c, "output"), y.data(), 1e-5);
    backwardWithReferenceWeights(c, y);
    assertMatches(name + " dx", array(c, "grads", "x"), x.grad(), 1e-4);
    assertMatches(name + " dw", array(c, "grads", "w"), w.grad(), 1e-4);
    assertMatches(name + " db", array(c, "grads", "b"), b.grad(), 1e-4);
  }

  @Test
  void convolutionsMatchTorch() {
    checkTorchConv("conv2d_k4_s2_p1", false, 2, 1);
    checkTorchConv("conv2d_k4_valid", false, 1, 0);
    checkTorchConv("conv_transpose2d_k4_s2_p1", true, 2, 1);
    checkTorchConv("conv_transpose2d_k4_from_1x1", true, 1, 0);
  }

  @Test
  void convolutionsGradcheck() {
    GradCheck.check("conv2d 3x3 s2 p1" + seedInfo(), t -> NnOps.conv2d(t[0], t[1], t[2], 2, 1), rng,
        param(2, 2, 5, 5), param(3, 2, 3, 3), param(3));
    GradCheck.check("conv2d no bias, x used as input only" + seedInfo(),
        t -> NnOps.conv2d(t[0], t[1], null, 1, 0), rng, param(1, 1, 4, 3), param(2, 1, 2, 2));
    GradCheck.check("convTranspose2d 4x4 s2 p1" + seedInfo(),
        t -> NnOps.convTranspose2d(t[0], t[1], t[2], 2, 1), rng, param(2, 3, 3, 3), param(3, 2, 4, 4), param(2));
    GradCheck.check("convTranspose2d from 1x1" + seedInfo(),
        t -> NnOps.convTranspose2d(t[0], t[1], t[2], 1, 0), rng, param(2, 4, 1, 1), param(4, 3, 4, 4), param(3));
  }

  @Test
  void convolutionErrorsNameShapes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NnOps.conv2d(Tensor.zeros(1, 3, 8, 8), Tensor.zeros(4, 2, 3, 3), null, 1, 0));
    assertEquals("conv2d: input [1,3,8,8] has 3 channels but weight [4,2,3,3] expects 2", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> NnOps.convTranspose2d(Tensor.zeros(1, 3, 8, 8), Tensor.zeros(3, 4, 3, 3), Tensor.zeros(3), 1, 0));
    assertEquals("convTranspose2d: bias [3] must be [4]", e.getMessage());
  }
}
