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
}
