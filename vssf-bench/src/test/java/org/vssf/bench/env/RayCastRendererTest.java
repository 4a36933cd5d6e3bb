package org.vssf.bench.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The ray-cast block world and foggy pillars: fixed bytes, determinism, and visible structure. */
class RayCastRendererTest {
  private static final float[][] STATES = {{0f, 0f, 0f, 0f}, {1.5f, -0.5f, 1f, 1f},
      {-4f, 3f, 0f, 0f}};

  @Test
  void imagesAreBitwiseFixed() {
    assertEquals("07c32f2404faeab341b6712b84200113e42b1068b548b693b232891d5a47323e",
        RenderTesting.checksum(new BlockWorldRenderer(32, 7), STATES));
    assertEquals("7d43c627d2fc956e9275d5192a42432d6f1db43ce5ccd06c292e538398cec085",
        RenderTesting.checksum(new PillarsRenderer(32, 7), STATES));
  }

  @Test
  void sameStateSameImageAndPositionChangesIt() {
    for (Environment env : new Environment[] {Environment.BLOCKS, Environment.PILLARS}) {
      Renderer a = env.renderer(32, 7);
      Renderer b = env.renderer(32, 7);
      byte[] img = RenderTesting.render(a, 0.4f, -0.2f, 0f, 0f);
      assertArrayEquals(img, RenderTesting.render(b, 0.4f, -0.2f, 0f, 0f), env + ": same state");
      assertArrayEquals(img, RenderTesting.render(a, 0.4f, -0.2f, 5f, -5f),
          env + ": velocities are not seen");
      assertFalse(Arrays.equals(img, RenderTesting.render(a, 0.5f, -0.2f, 0f, 0f)), env + ": x");
      assertFalse(Arrays.equals(img, RenderTesting.render(a, 0.4f, -0.1f, 0f, 0f)), env + ": y");
      assertFalse(Arrays.equals(img, RenderTesting.render(env.renderer(32, 8), 0.4f, -0.2f, 0f,
          0f)), env + ": scene seed");
    }
  }

  @Test
  void blocksAreVisibleEverywhereThePriorGoes() {
    // the stationary prior has sd(x) = sd(y) ≈ 1.41: check ±4.2 sd, i.e. camera at ±18 units
    for (int size : new int[] {32, 64}) {
      Renderer r = new BlockWorldRenderer(size, 7);
      for (float x = -6f; x <= 6f; x += 3f) {
        for (float y = -6f; y <= 6f; y += 3f) {
          byte[] img = RenderTesting.render(r, x, y, 0f, 0f);
          double boxes = RenderTesting.colourfulFraction(img, 90);
          assertTrue(boxes > 0.02 && boxes < 0.8, "box pixels at (" + x + ", " + y + "), "
              + size + "px: " + boxes);
          assertTrue(RenderTesting.distinctColours(img) > 100, "texture at " + x + ", " + y);
        }
      }
    }
  }

  @Test
  void pillarsShowSkyGroundAndPillars() {
    Renderer r = new PillarsRenderer(32, 7);
    for (float x = -4f; x <= 4f; x += 4f) {
      for (float y = -4f; y <= 4f; y += 4f) {
        byte[] img = RenderTesting.render(r, x, y, 0f, 0f);
        // bottom row: ground, greener/browner than the top row's sky, which is bluish
        int bottom = (31 * 32 + 16) * 3;
        int top = 16 * 3;
        assertTrue((img[bottom + 2] & 255) < (img[bottom + 1] & 255), "ground at " + x + "," + y);
        assertTrue(RenderTesting.distinctColours(img) > 150, "texture at " + x + ", " + y);
        assertTrue(columnsDiffer(img, 32), "pillars break up the horizon at " + x + ", " + y);
        assertTrue((img[top + 2] & 255) >= (img[top] & 255) || pillarAt(img, top),
            "sky or pillar at the top");
      }
    }
  }

  private static boolean pillarAt(byte[] img, int o) {
    return (img[o] & 255) > (img[o + 2] & 255);
  }

  /** Whether the row just above the horizon varies along x (pillars against the fog). */
  private static boolean columnsDiffer(byte[] img, int size) {
    int row = size / 2 - 4;
    int min = 255;
    int max = 0;
    for (int i = 0; i < size; i++) {
      int v = img[(row * size + i) * 3] & 255;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    return max - min > 10;
  }
}
