package org.vssf.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;

/** Gradchecks of the elementwise ops and reductions, broadcasting, and the tape's contracts. */
class ElementwiseOpsTest extends SeededTest {
  private Tensor param(int... shape) {
    return Tensor.wrap(randomFloats(Shapes.size(shape)), shape).requiresGrad(true);
  }

  /** Values in [lo, hi): keeps sqrt/log/div/kinks away from their singular points. */
  private Tensor param(float lo, float hi, int... shape) {
    float[] v = new float[Shapes.size(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
    }
    return Tensor.wrap(v, shape).requiresGrad(true);
  }

  private static final int[][][] BROADCAST_PAIRS = {
    {{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{2, 3}, {2, 1}}, {{4, 1, 3}, {5, 1}}, {{1}, {3, 2}},
    {{}, {2, 2}}, {{3, 1, 2}, {3, 4, 2}}, {{1, 1}, {1}}, {{2, 3, 4}, {1, 3, 1}}
  };

  @Test
  void binaryOpsWithBroadcasting() {
    for (int[][] pair : BROADCAST_PAIRS) {
      String s = Shapes.str(pair[0]) + " op " + Shapes.str(pair[1]) + seedInfo();
      GradCheck.check("add " + s, x -> Ops.add(x[0], x[1]), rng, param(pair[0]), param(pair[1]));
      GradCheck.check("sub " + s, x -> Ops.sub(x[0], x[1]), rng, param(pair[0]), param(pair[1]));
      GradCheck.check("mul " + s, x -> Ops.mul(x[0], x[1]), rng, param(pair[0]), param(pair[1]));
      GradCheck.check("div " + s, x -> Ops.div(x[0], x[1]), rng, param(pair[0]),
          param(0.5f, 2f, pair[1]));
    }
  }

  @Test
  void sumOverAxesEqualsBruteForceSums() {
    Tensor x = param(2, 3, 4, 5);
    int[][] axes = {{0}, {1}, {3}, {1, 2}, {0, 1}, {2, 3}, {0, 2}, {1, 3}, {0, 1, 2, 3}};
    for (int[] a : axes) {
      boolean[] red = new boolean[4];
      for (int d : a) {
        red[d] = true;
      }
      Tensor s = Ops.sum(x, a, true);
      for (int i0 = 0; i0 < 2; i0++) {
        for (int i1 = 0; i1 < 3; i1++) {
          for (int i2 = 0; i2 < 4; i2++) {
            for (int i3 = 0; i3 < 5; i3++) {
              int[] at = {i0, i1, i2, i3};
              double expect = 0;
              for (int j = 0; j < x.size(); j++) {
                int[] idx = {j / 60, j / 20 % 3, j / 5 % 4, j % 5};
                boolean same = true;
                for (int d = 0; d < 4; d++) {
                  same &= red[d] || idx[d] == at[d];
                }
                expect += same ? x.data()[j] : 0;
              }
              int[] outAt = at.clone();
              for (int d = 0; d < 4; d++) {
                outAt[d] = red[d] ? 0 : at[d];
              }
              assertEquals(expect, s.get(outAt), 1e-5, "sum over " + java.util.Arrays.toString(a));
            }
          }
        }
      }
    }
    Tape.clear();
  }

  @Test
  void unaryOps() {
    int[] shape = {3, 4};
    check("neg", Ops::neg, param(shape));
    check("scale", x -> Ops.scale(x, -2.5f), param(shape));
    check("addScalar", x -> Ops.addScalar(x, 3f), param(shape));
    check("square", Ops::square, param(shape));
    check("sqrt", Ops::sqrt, param(0.5f, 3f, shape));
    check("exp", Ops::exp, param(shape));
    check("log", Ops::log, param(0.5f, 3f, shape));
    check("tanh", Ops::tanh, param(-2f, 2f, shape));
    check("sigmoid", Ops::sigmoid, param(-4f, 4f, shape));
    check("softplus", Ops::softplus, param(-4f, 4f, shape));
    check("gelu", Ops::gelu, param(-3f, 3f, shape));
    Tensor away = param(shape);
    for (int i = 0; i < away.size(); i++) { // keep 0.05 away from the kink
      away.data()[i] += away.data()[i] >= 0 ? 0.05f : -0.05f;
    }
    check("leakyRelu", x -> Ops.leakyRelu(x, 0.3f), away);
    Tensor c = param(-2f, 2f, shape);
    for (int i = 0; i < c.size(); i++) { // keep away from the clamp edges ±1
      if (Math.abs(Math.abs(c.data()[i]) - 1f) < 0.05f) {
        c.data()[i] *= 0.9f;
      }
    }
    check("clamp", x -> Ops.clamp(x, -1f, 1f), c);
  }

  private void check(String what, Function<Tensor, Tensor> f, Tensor x) {
    GradCheck.check(what + seedInfo(), t -> f.apply(t[0]), rng, x);
  }

  @Test
  void reductions() {
    Tensor x = param(2, 3, 4);
    GradCheck.check("sum all", t -> Ops.sum(t[0]), rng, x);
    GradCheck.check("mean all", t -> Ops.mean(t[0]), rng, x);
    int[][] axes = {{0}, {1}, {2}, {-1}, {0, 2}, {1, 2}, {0, 1, 2}};
    for (int[] a : axes) {
      for (boolean keep : new boolean[] {false, true}) {
        String s = " axes " + java.util.Arrays.toString(a) + " keep=" + keep + seedInfo();
        GradCheck.check("sum" + s, t -> Ops.sum(t[0], a, keep), rng, x);
        GradCheck.check("mean" + s, t -> Ops.mean(t[0], a, keep), rng, x);
      }
    }
    Tensor s = Ops.sum(x, new int[] {0, 2}, false);
    assertArrayEquals(new int[] {3}, s.shape());
    Tensor k = Ops.sum(x, new int[] {-1}, true);
    assertArrayEquals(new int[] {2, 3, 1}, k.shape());
    double expect = 0;
    for (int j = 0; j < 4; j++) {
      expect += x.get(1, 2, j);
    }
    assertEquals(expect, k.get(1, 2, 0), 1e-6);
    Tape.clear();
  }

  @Test
  void unusedInputGetsZeroAndReusedInputAccumulates() {
    Tensor a = param(2, 2);
    Tensor unused = param(3);
    GradCheck.check("unused input" + seedInfo(), t -> Ops.square(t[0]), rng, a, unused);
    // x used twice: d/dx Σ(x·x + x) = 2x + 1
    Tensor x = param(5);
    Ops.sum(Ops.add(Ops.mul(x, x), x)).backward();
    for (int i = 0; i < 5; i++) {
      assertEquals(2 * x.data()[i] + 1, x.grad()[i], 1e-6);
    }
    // gradients accumulate across backward calls until zeroed
    Ops.sum(x).backward();
    assertEquals(2 * x.data()[0] + 2, x.grad()[0], 1e-6);
    x.zeroGrad();
    assertNull(x.grad());
  }

  @Test
  void backwardContracts() {
    Tensor x = param(2, 3);
    Tensor y = Ops.square(x);
    IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
    assertEquals("backward: loss of shape [2,3] is not a scalar; reduce it first (e.g. Ops.sum)",
        e.getMessage());
    Tape.clear();
    Tensor c = Tensor.of(new float[] {1, 2}, 2);
    e = assertThrows(IllegalStateException.class, () -> Ops.sum(c).backward());
    assertTrue(e.getMessage().contains("does not require a gradient"), e.getMessage());

    Tensor loss = Ops.sum(Ops.square(x));
    assertEquals(2, Tape.size());
    loss.backward();
    assertEquals(0, Tape.size(), "the tape is released after backward");
    assertNull(y.grad(), "intermediate results keep no gradient");
  }

  @Test
  void secondBackwardOnAReleasedGraphFailsLoudly() {
    Tensor x = param(3);
    Tensor l1 = Ops.sum(Ops.square(x));
    Tensor l2 = Ops.sum(Ops.exp(x));
    l1.backward();
    IllegalStateException e = assertThrows(IllegalStateException.class, l2::backward);
    assertTrue(e.getMessage().startsWith("backward: the graph of this loss was released"), e.getMessage());
    assertThrows(IllegalStateException.class, l1::backward);
    // The supported way: one backward over the sum.
    x.zeroGrad();
    Ops.add(Ops.sum(Ops.square(x)), Ops.sum(Ops.exp(x))).backward();
    for (int i = 0; i < 3; i++) {
      assertEquals(2 * x.data()[i] + (float) Math.exp(x.data()[i]), x.grad()[i], 1e-5);
    }
  }

  @Test
  void scopeClosedOnAnotherThreadIsRejected() throws Exception {
    Tape.Scope s = Tape.noGrad();
    Throwable[] seen = new Throwable[1];
    Thread t = new Thread(() -> {
      try {
        s.close();
      } catch (Throwable ex) {
        seen[0] = ex;
      }
    });
    t.start();
    t.join();
    s.close();
    assertTrue(seen[0] instanceof IllegalStateException, String.valueOf(seen[0]));
    assertTrue(Tape.isRecording());
  }

  @Test
  void noGradScopeRecordsNothing() {
    Tensor x = param(4);
    try (Tape.Scope ng = Tape.noGrad()) {
      assertFalse(Tape.isRecording());
      Tensor y = Ops.exp(Ops.mul(x, x));
      assertFalse(y.requiresGrad());
      assertEquals(0, Tape.size());
    }
    assertTrue(Tape.isRecording());
  }

  @Test
  void anomalyModeNamesTheFirstBadOp() {
    Tensor x = Tensor.of(new float[] {1f, -1f}, 2).requiresGrad(true);
    try (Tape.Scope a = Tape.detectAnomaly()) {
      Tensor ok = Ops.exp(x);
      ArithmeticException e = assertThrows(ArithmeticException.class, () -> Ops.sqrt(Ops.neg(ok)));
      assertEquals("anomaly: sqrt produced NaN in its forward value at element 0 of [2]", e.getMessage());
      Tape.clear();
      Tensor z = Tensor.of(new float[] {0f, 1f}, 2).requiresGrad(true);
      Tensor s = Ops.sum(Ops.sqrt(z)); // sqrt(0) is fine forward, its gradient is infinite
      e = assertThrows(ArithmeticException.class, s::backward);
      assertTrue(e.getMessage().startsWith("anomaly: sqrt produced Infinity in its gradient"), e.getMessage());
    }
    // Outside the scope NaN flows silently, as in any tensor library.
    Tensor quiet = Ops.sqrt(Ops.neg(Ops.exp(x)));
    assertTrue(Float.isNaN(quiet.data()[0]));
    Tape.clear();
  }

  @Test
  void errorsNameOpAndShapes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Ops.add(Tensor.zeros(2, 3), Tensor.zeros(4)));
    assertEquals("add: shapes [2,3] and [4] do not broadcast (dimension 1: 3 vs 4)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Ops.sum(Tensor.zeros(2, 3), new int[] {2}, false));
    assertEquals("sum: axis 2 out of range for rank 2", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
    assertEquals("Tensor.of: 5 values do not fill shape [2,3] (6 elements)", e.getMessage());
  }
}
