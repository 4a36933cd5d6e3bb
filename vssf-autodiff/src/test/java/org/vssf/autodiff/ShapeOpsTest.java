package org.vssf.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;

/** Shape ops and gradient shaping: values against direct indexing, gradients by GradCheck. */
class ShapeOpsTest extends SeededTest {
  private Tensor param(int... shape) {
    return Tensor.wrap(randomFloats(Shapes.size(shape)), shape).requiresGrad(true);
  }

  @Test
  void reshapeSharesValuesAndInfersMinusOne() {
    Tensor x = param(2, 3, 4);
    Tensor y = Ops.reshape(x, 6, -1);
    assertArrayEquals(new int[] {6, 4}, y.shape());
    assertSame(x.data(), y.data(), "reshape must not copy");
    GradCheck.check("reshape" + seedInfo(), t -> Ops.reshape(t[0], 4, 3, 2), rng, x);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.reshape(x, 5, -1));
    assertEquals("reshape: cannot infer -1 in [5,-1] for 24 elements [2,3,4]", e.getMessage());
    Tape.clear();
  }

  @Test
  void permuteAndTranspose() {
    Tensor x = param(2, 3, 4);
    Tensor p = Ops.permute(x, 2, 0, 1);
    assertArrayEquals(new int[] {4, 2, 3}, p.shape());
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        for (int k = 0; k < 4; k++) {
          assertEquals(x.get(i, j, k), p.get(k, i, j));
        }
      }
    }
    Tensor t = Ops.transpose(x);
    assertEquals(x.get(1, 2, 3), t.get(1, 3, 2));
    GradCheck.check("permute" + seedInfo(), a -> Ops.permute(a[0], 1, 2, 0), rng, x);
    GradCheck.check("transpose" + seedInfo(), a -> Ops.transpose(a[0]), rng, x);
    assertThrows(IllegalArgumentException.class, () -> Ops.permute(x, 0, 0, 1));
    Tape.clear();
  }

  @Test
  void sliceConcatStackGather() {
    Tensor x = param(3, 5, 2);
    Tensor s = Ops.slice(x, 1, 1, 4);
    assertArrayEquals(new int[] {3, 3, 2}, s.shape());
    assertEquals(x.get(2, 3, 1), s.get(2, 2, 1));
    for (int axis = 0; axis < 3; axis++) {
      final int ax = axis;
      GradCheck.check("slice axis " + axis + seedInfo(), a -> Ops.slice(a[0], ax, 1, 2), rng, x);
    }
    Tensor a = param(3, 2, 2);
    Tensor b = param(3, 1, 2);
    Tensor c = Ops.concat(1, a, b, a);
    assertArrayEquals(new int[] {3, 5, 2}, c.shape());
    assertEquals(b.get(2, 0, 1), c.get(2, 2, 1));
    assertEquals(a.get(1, 1, 0), c.get(1, 4, 0));
    GradCheck.check("concat (a used twice)" + seedInfo(), t -> Ops.concat(1, t[0], t[1], t[0]), rng, a, b);
    GradCheck.check("concat axis 0" + seedInfo(), t -> Ops.concat(0, t[0], t[1]), rng, param(2, 3), param(1, 3));
    Tensor st = Ops.stack(1, a, a);
    assertArrayEquals(new int[] {3, 2, 2, 2}, st.shape());
    assertEquals(a.get(2, 1, 0), st.get(2, 1, 1, 0));
    GradCheck.check("stack" + seedInfo(), t -> Ops.stack(0, t[0], t[1]), rng, param(2, 2), param(2, 2));
    Tensor g = Ops.gatherRows(x, 2, 0, 2);
    assertArrayEquals(new int[] {3, 5, 2}, g.shape());
    assertEquals(x.get(2, 4, 1), g.get(0, 4, 1));
    GradCheck.check("gatherRows (row 2 twice)" + seedInfo(), t -> Ops.gatherRows(t[0], 2, 0, 2), rng, x);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.concat(0, a, b));
    assertEquals("concat: [3,2,2] and [3,1,2] differ outside axis 0", e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> Ops.gatherRows(x, 3));
    assertThrows(IllegalArgumentException.class, () -> Ops.slice(x, 1, 2, 6));
    Tape.clear();
  }

  @Test
  void stopGradientCutsTheGraph() {
    Tensor x = param(3);
    Tensor loss = Ops.sum(Ops.mul(x, Ops.stopGradient(x)));
    loss.backward();
    for (int i = 0; i < 3; i++) {
      assertEquals(x.data()[i], x.grad()[i], 0f, "only the non-stopped factor contributes");
    }
    assertFalse(Ops.stopGradient(x).requiresGrad());
  }

  @Test
  void clipGradNormIsIdentityForwardAndClipsEachSlice() {
    // z [2, 3, 2]; slices over the last axis: 6 vectors of length 2.
    Tensor z = param(2, 3, 2);
    Tensor c = Ops.clipGradNorm(z, 5f, 2);
    assertSame(z.data(), c.data());
    float[] w = new float[12];
    w[0] = 30f; // slice (0,0): gradient (30, 40), norm 50 → (3, 4)
    w[1] = 40f;
    w[10] = 0.3f; // slice (1,2): gradient (0.3, 0.4), norm 0.5 → unchanged
    w[11] = 0.4f;
    Ops.sum(Ops.mul(c, Tensor.wrap(w, 2, 3, 2))).backward();
    assertEquals(3f, z.grad()[0], 1e-6f);
    assertEquals(4f, z.grad()[1], 1e-6f);
    assertEquals(0.3f, z.grad()[10], 1e-7f);
    assertEquals(0.4f, z.grad()[11], 1e-7f);
    assertEquals(0f, z.grad()[2]);
    // Below the threshold everywhere it is the identity (GradCheck with small weights).
    Tensor y = param(4, 3);
    GradCheck.check("clipGradNorm below max" + seedInfo(), t -> Ops.clipGradNorm(t[0], 100f, 1), rng, y);
    assertThrows(IllegalArgumentException.class, () -> Ops.clipGradNorm(z, 0f, 2));
    assertNull(Ops.clipGradNorm(Tensor.zeros(2), 1f, 0).grad());
  }
}
