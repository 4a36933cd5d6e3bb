package org.vssf.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;

/** {@link Tape#record}: a user-defined op with its own backward joins the graph. */
class CustomOpTest extends SeededTest {
  /** x ⊙ x ⊙ y with the hand-written adjoint 2xy·g, x²·g. */
  private static Tensor cubeLike(Tensor x, Tensor y) {
    float[] xv = x.data();
    float[] yv = y.data();
    float[] out = new float[xv.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = xv[i] * xv[i] * yv[i];
    }
    return Tape.record(new Node("cubeLike", x, y) {
      @Override
      protected void backward(float[] g) {
        if (needs(0)) {
          float[] gx = gradOf(0);
          for (int i = 0; i < g.length; i++) {
            gx[i] += 2 * xv[i] * yv[i] * g[i];
          }
        }
        if (needs(1)) {
          float[] gy = gradOf(1);
          for (int i = 0; i < g.length; i++) {
            gy[i] += xv[i] * xv[i] * g[i];
          }
        }
      }
    }, x.shape(), out);
  }

  @Test
  void gradientsFlowThroughARecordedOp() {
    Tensor x = Tensor.of(randomFloats(6), 2, 3).requiresGrad(true);
    Tensor y = Tensor.of(randomFloats(6), 2, 3).requiresGrad(true);
    GradCheck.check("custom op", in -> Ops.tanh(cubeLike(in[0], in[1])), rng, x, y);
  }

  @Test
  void constantInputsGiveAPlainTensor() {
    Tensor x = Tensor.of(randomFloats(3), 3);
    int before = Tape.size();
    Tensor out = cubeLike(x, x);
    assertFalse(out.requiresGrad());
    assertEquals(before, Tape.size());
  }

  @Test
  void aShapeThatDoesNotFitTheValuesIsRejected() {
    Tensor x = Tensor.of(randomFloats(3), 3).requiresGrad(true);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Tape.record(new Node("bad", x) {
          @Override
          protected void backward(float[] g) {}
        }, new int[] {4}, new float[3]));
    assertEquals("bad: output shape [4] does not match 3 values", e.getMessage());
  }
}
