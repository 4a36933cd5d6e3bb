package org.vssf.bench.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vssf.testing.SeededTest;

/** The pendulum rasteriser: exact bytes for fixed states, and the ball where the angle says. */
class PendulumRendererTest extends SeededTest {
  private static final float[][] STATES = {{0f, 0f}, {1f, 0.5f}, {-2.5f, 0f}, {4f, 0f},
      {-7.25f, 0f}, {0.3f, -1f}};

  @Test
  void imagesAreBitwiseFixed() {
    // Pure float arithmetic and StrictMath: these bytes must not change between JVMs or runs.
    // A deliberate change to the renderer updates these values (and invalidates old data sets).
    assertEquals("20de07c70388c66bb0d7772e4b2eb0e88e2e959242d02bc59cb8c14a9ae9ffda",
        RenderTesting.checksum(new PendulumRenderer(32), STATES));
    assertEquals("c7827c713102b6ea4058627c74a0f194f04eeeafca4bc8309f1962a6bdbc4aee",
        RenderTesting.checksum(new PendulumRenderer(64), STATES));
  }

  @Test
  void backgroundRodAndBallColours() {
    byte[] img = RenderTesting.render(new PendulumRenderer(32), 0f, 0f);
    // corner: grey 0.9 → round(229.5) = 230
    assertEquals(230, img[0] & 255);
    assertEquals(230, img[1] & 255);
    // θ = 0 hangs straight down: ball centre (16, 16 + 11.2), red (0.9, 0, 0) → 230, 0, 0
    int o = (27 * 32 + 15) * 3;
    assertEquals(230, img[o] & 255);
    assertEquals(0, img[o + 1] & 255);
    assertEquals(0, img[o + 2] & 255);
    // the rod's pixels straddle x = 16: half covered each, 0.5·0.9 + 0.5·0.1 = 0.5 grey
    int rod = (20 * 32 + 15) * 3;
    assertEquals(128, img[rod] & 255);
    assertEquals(img[rod] & 255, img[rod + 3] & 255);
  }

  @Test
  void ballCentroidGivesBackTheDrawnAngle() {
    for (int size : new int[] {32, 64}) {
      PendulumRenderer r = new PendulumRenderer(size);
      for (int trial = 0; trial < 40; trial++) {
        float theta = (float) (6 * gaussian());
        byte[] img = RenderTesting.render(r, theta, 0f);
        double sw = 0;
        double sx = 0;
        double sy = 0;
        for (int j = 0; j < size; j++) {
          for (int i = 0; i < size; i++) {
            int o = (j * size + i) * 3;
            double w = (img[o] & 255) - (img[o + 1] & 255); // red minus green: 0 on grey pixels
            sw += w;
            sx += w * (i + 0.5);
            sy += w * (j + 0.5);
          }
        }
        double half = size / 2.0;
        double angle = Math.atan2(sx / sw - half, sy / sw - half);
        double radius = Math.hypot(sx / sw - half, sy / sw - half);
        assertEquals(PendulumRenderer.drawnAngle(theta), angle, 0.02,
            "angle for θ=" + theta + " size " + size + seedInfo());
        assertEquals(0.7 * half, radius, 0.1, "rod length for θ=" + theta + seedInfo());
      }
    }
  }

  @Test
  void drawnAngleIsSquashedAndNeverWraps() {
    assertEquals(0f, PendulumRenderer.drawnAngle(0f));
    assertTrue(PendulumRenderer.drawnAngle(1000f) <= 3.1f);
    assertTrue(PendulumRenderer.drawnAngle(-1000f) >= -3.1f);
    assertEquals(3.1 * Math.tanh(0.5), PendulumRenderer.drawnAngle(3f), 1e-6);
  }

  @Test
  void rejectsTinyImages() {
    assertThrows(IllegalArgumentException.class, () -> new PendulumRenderer(3));
  }
}
