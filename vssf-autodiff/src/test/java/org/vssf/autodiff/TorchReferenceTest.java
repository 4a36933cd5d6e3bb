package org.vssf.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vssf.testing.MiniJson;

/**
 * Forward values and gradients of {@link LinalgOps} against PyTorch 1.13 float64
 * ({@code /autodiff/torch-linalg-reference.json}, the linear-algebra cases of the shared autodiff
 * reference). Each case gives inputs, the output, loss weights {@code w} and the gradients of
 * {@code loss = Σ output ⊙ w}. The inputs are rounded to float32 here and the matrices are well
 * conditioned, so float32 results agree to about 1e-6 relative; the tolerance is 1e-4 relative to
 * each element, where elements below 1 % of the array's largest are measured against that 1 %
 * (entries that cancel to near 0 carry the absolute error of the large ones). Exact zeros (the
 * upper triangles) must come out exactly 0.
 */
class TorchReferenceTest {
  private static final double REL = 1e-4;
  private static Object root;

  @BeforeAll
  static void load() {
    root = MiniJson.resource(TorchReferenceTest.class, "/autodiff/torch-linalg-reference.json");
  }

  /**
   * The Cholesky case confirms the gradient convention: PyTorch's gradient with respect to the
   * (symmetric) input is symmetric, ½(Ā + Āᵀ) of the lower-triangle result, and so is ours.
   */
  @Test
  void choleskyBatched() {
    check("cholesky_batched", x -> LinalgOps.cholesky(x[0]), "a");
  }

  @Test
  void triangularSolveLower() {
    check("triangular_solve_lower", x -> LinalgOps.solveTriangular(x[0], x[1], true, false), "L", "b");
  }

  @Test
  void triangularSolveLowerTransposed() {
    check("triangular_solve_lower_transposed",
        x -> LinalgOps.solveTriangular(x[0], x[1], true, true), "L", "b");
  }

  @Test
  void logDetFromCholesky() {
    check("logdet_from_cholesky", x -> LinalgOps.logDetFromCholesky(x[0]), "L");
  }

  @Test
  void matmulBatchedBroadcast() {
    check("matmul_batched_broadcast", x -> LinalgOps.matmul(x[0], x[1]), "a", "b");
  }

  @Test
  void gaussianLogPdfPrecisionCholesky() {
    check("gaussian_logpdf_precision_cholesky",
        x -> LinalgOps.gaussianLogPdfPrecisionChol(x[0], x[1], x[2]), "z", "mu", "L");
  }

  private static void check(String name, Function<Tensor[], Tensor> f, String... inputNames) {
    Tensor[] in = new Tensor[inputNames.length];
    for (int i = 0; i < in.length; i++) {
      in[i] = tensor(MiniJson.at(root, "cases", name, "inputs", inputNames[i])).requiresGrad(true);
    }
    Tensor out = f.apply(in);
    Object expectOut = MiniJson.at(root, "cases", name, "output");
    assertArrayEquals(shape(expectOut), out.shape(), name + ": output shape");
    assertClose(name + " output", MiniJson.doubles(MiniJson.at(expectOut, "data")), out.data());
    Tensor w = tensor(MiniJson.at(root, "cases", name, "loss_weights"));
    Ops.sum(Ops.mul(out, w)).backward();
    for (int i = 0; i < in.length; i++) {
      double[] expect = MiniJson.doubles(MiniJson.at(root, "cases", name, "grads", inputNames[i], "data"));
      assertClose(name + " d/d" + inputNames[i], expect, in[i].grad());
    }
  }

  private static Tensor tensor(Object json) {
    double[] d = MiniJson.doubles(MiniJson.at(json, "data"));
    float[] v = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      v[i] = (float) d[i];
    }
    return Tensor.wrap(v, shape(json));
  }

  private static int[] shape(Object json) {
    List<?> s = (List<?>) MiniJson.at(json, "shape");
    int[] out = new int[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) s.get(i)).intValue();
    }
    return out;
  }

  private static void assertClose(String what, double[] expected, float[] actual) {
    if (actual == null || actual.length != expected.length) {
      fail(what + ": expected " + expected.length + " values, got "
          + (actual == null ? "none" : actual.length));
    }
    double max = 0;
    for (double v : expected) {
      max = Math.max(max, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(expected[i] - actual[i]);
      double bound = expected[i] == 0 ? 0 : REL * Math.max(Math.abs(expected[i]), 1e-2 * max);
      if (!(err <= bound)) {
        fail(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]
            + " (error " + err + " > " + bound + ")");
      }
    }
  }
}
