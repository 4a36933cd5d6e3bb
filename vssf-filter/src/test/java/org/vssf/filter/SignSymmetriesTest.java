package org.vssf.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The sign symmetries of the uncontrolled dynamics: D A D = A, D Σw D = Σw, D Σz D = Σz. */
class SignSymmetriesTest {
  private static float[] eye(int m, float v) {
    float[] e = new float[m * m];
    for (int i = 0; i < m; i++) {
      e[i * m + i] = v;
    }
    return e;
  }

  @Test
  void thePendulumHasOnlyTheGlobalFlip() {
    LinearGaussianDynamics pendulum = new LinearGaussianDynamics(2, 1, new float[] {2.5f, 0.13f, 0.13f, 1.9f},
        new float[] {0.99f, 0.2f, 0f, 0.998f}, new float[] {0.03f, 0.3f}, eye(2, 1e-3f), false, false, false);
    List<float[]> s = pendulum.signSymmetries();
    assertEquals(1, s.size());
    assertArrayEquals(new float[] {-1f, -1f}, s.get(0));
  }

  @Test
  void theBlockWorldFlipsEachAxisAndBoth() {
    float[] a = {0.98f, 0, 0.2f, 0, 0, 0.98f, 0, 0.2f, 0, 0, 0.999f, 0, 0, 0, 0, 0.999f};
    // Σz couples x with ẋ and y with ẏ; a rounding-level x–y entry is no coupling.
    float[] p0 = {2f, 1e-9f, 0.5f, 0, 1e-9f, 2f, 0, 0.5f, 0.5f, 0, 1f, 0, 0, 0.5f, 0, 1f};
    LinearGaussianDynamics blocks = new LinearGaussianDynamics(4, 2, p0, a,
        new float[] {0.05f, 0, 0, 0.05f, 0.3f, 0, 0, 0.3f}, eye(4, 1e-3f), false, false, false);
    List<float[]> s = blocks.signSymmetries();
    assertEquals(3, s.size());
    assertArrayEquals(new float[] {-1f, 1f, -1f, 1f}, s.get(0), "x and ẋ");
    assertArrayEquals(new float[] {1f, -1f, 1f, -1f}, s.get(1), "y and ẏ");
    assertArrayEquals(new float[] {-1f, -1f, -1f, -1f}, s.get(2), "both");
    for (float[] d : s) { // each really is a symmetry of A
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
          assertEquals(a[i * 4 + j], d[i] * a[i * 4 + j] * d[j], 0f);
        }
      }
    }
  }

  @Test
  void theBlockWorldAlsoSwapsItsAxes() {
    float[] a = {0.98f, 0, 0.2f, 0, 0, 0.98f, 0, 0.2f, 0, 0, 0.999f, 0, 0, 0, 0, 0.999f};
    float[] p0 = {2f, 0, 0.3f, 0, 0, 2f, 0, 0.3f, 0.3f, 0, 1.5f, 0, 0, 0.3f, 0, 1.5f};
    LinearGaussianDynamics blocks = new LinearGaussianDynamics(4, 2, p0, a,
        new float[] {0.05f, 0, 0, 0.05f, 0.3f, 0, 0, 0.3f}, eye(4, 1e-3f), false, false, false);
    List<LinearGaussianDynamics.Symmetry> s = blocks.latentSymmetries();
    assertEquals(7, s.size(), "the dihedral group of the square, less the identity");
    List<String> names = s.stream().map(Object::toString).toList();
    assertEquals(List.of("-+-+", "+-+-", "----", "+1+0+3+2", "-1+0-3+2", "+1-0+3-2", "-1-0-3-2"), names);
    for (LinearGaussianDynamics.Symmetry p : s) { // each really is a symmetry of A and Σz
      for (float[] m : new float[][] {a, p0}) {
        for (int i = 0; i < 4; i++) {
          for (int j = 0; j < 4; j++) {
            assertEquals(m[i * 4 + j], p.sign[i] * p.sign[j] * m[p.source[i] * 4 + p.source[j]], 0f, p.toString());
          }
        }
      }
    }
    // A prior that tells x from y leaves only the reflections.
    p0[0] = 2.5f;
    LinearGaussianDynamics skewed = new LinearGaussianDynamics(4, 2, p0, a,
        new float[] {0.05f, 0, 0, 0.05f, 0.3f, 0, 0, 0.3f}, eye(4, 1e-3f), false, false, false);
    assertEquals(3, skewed.latentSymmetries().size());
    LinearGaussianDynamics pendulum = new LinearGaussianDynamics(2, 1, new float[] {2.5f, 0.13f, 0.13f, 1.9f},
        new float[] {0.99f, 0.2f, 0f, 0.998f}, new float[] {0.03f, 0.3f}, eye(2, 1e-3f), false, false, false);
    assertEquals(List.of("--"), pendulum.latentSymmetries().stream().map(Object::toString).toList());
  }

  @Test
  void beyondFourGroupsOnlyTheGlobalFlipIsTried() {
    LinearGaussianDynamics diagonal = new LinearGaussianDynamics(5, 0, eye(5, 1f), eye(5, 0.9f), null,
        eye(5, 0.01f), false, false, false);
    List<float[]> s = diagonal.signSymmetries();
    assertEquals(1, s.size());
    assertArrayEquals(new float[] {-1f, -1f, -1f, -1f, -1f}, s.get(0));
  }
}
