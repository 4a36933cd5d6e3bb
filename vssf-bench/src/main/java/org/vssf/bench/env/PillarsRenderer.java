package org.vssf.bench.env;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.joml.Vector3f;

/**
 * Foggy pillars (our stand-in for the paper's harder "Zhangjiajie" scene): a camera near the
 * ground, at world position {@code (3x, 3y)} and height 1.6, looking along +x (fixed heading,
 * 6° down, 90° field of view) through tall stone pillars, with exponential distance fog (λ = 40
 * units) over a textured meadow. The state is (x, y, ẋ, ẏ); only x and y are seen.
 *
 * <p>The layout comes from a scene seed: on a 10-unit lattice over {@code [−30, 150] × [−120,
 * 120]}, each cell holds a pillar with probability 0.5, 1.6–6 units wide and 10–45 high, except
 * in the clearing {@code |X|, |Y| < 15} where the camera moves (the stationary prior keeps
 * {@code 3x, 3y} within it for more than 99.9% of states; a camera inside a pillar sees through it). The
 * pillars carry strata, grooves and moss; the ground has crisp patches of grass and soil, with
 * scattered stones.
 * Hard shadows from a low sun. Rendered by {@link RayCaster} with 2×2 supersampling.
 */
public final class PillarsRenderer implements Renderer {
  /** Camera height above the ground. */
  public static final float HEIGHT = 1.6f;
  /** World units per state unit: the camera is at {@code (SCALE·x, SCALE·y)}. */
  public static final float SCALE = 3f;
  /** Half-width of the pillar-free clearing around the origin. */
  public static final float CLEARING = 15f;

  private static final float LATTICE = 10f;
  private static final float PITCH = (float) Math.toRadians(-6);
  private static final float FOG = 40f;

  private final int size;
  private final RayCaster caster;
  private final Vector3f forward;
  private final Vector3f up;
  private final Vector3f right;

  /** Images of {@code size × size} pixels of the scene made from {@code sceneSeed}. */
  public PillarsRenderer(int size, long sceneSeed) {
    if (size < 4) {
      throw new IllegalArgumentException("pillars image size must be >= 4, got " + size);
    }
    this.size = size;
    float c = (float) StrictMath.cos(PITCH);
    float s = (float) StrictMath.sin(PITCH);
    forward = new Vector3f(c, 0f, s);
    up = new Vector3f(-s, 0f, c);
    right = RayCaster.cross(forward, up);
    BoxScene scene = layout(sceneSeed);
    caster = new RayCaster(scene, new Look(), new Vector3f(-0.55f, 0.45f, 0.5f), 0.5f, true, FOG,
        new Vector3f(0.82f, 0.85f, 0.9f), 200f, 2);
  }

  private static BoxScene layout(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<BoxScene.Box> boxes = new ArrayList<>();
    for (float cy = -120f; cy < 120f; cy += LATTICE) {
      for (float cx = -30f; cx < 150f; cx += LATTICE) {
        float half = BlockWorldRenderer.uniform(rng, 0.8f, 3f);
        float height = 10f + 35f * (float) rng.nextDouble();
        float jx = BlockWorldRenderer.uniform(rng, -1f, 1f) * (LATTICE / 2 - half - 0.5f);
        float jy = BlockWorldRenderer.uniform(rng, -1f, 1f) * (LATTICE / 2 - half - 0.5f);
        float[] rgb = BlockWorldRenderer.hsv(BlockWorldRenderer.uniform(rng, 0.0f, 0.12f),
            BlockWorldRenderer.uniform(rng, 0.15f, 0.5f),
            BlockWorldRenderer.uniform(rng, 0.35f, 0.75f));
        boolean present = rng.nextDouble() < 0.5;
        float x = cx + LATTICE / 2 + jx;
        float y = cy + LATTICE / 2 + jy;
        boolean inClearing = Math.abs(x) - half < CLEARING && Math.abs(y) - half < CLEARING;
        if (present && !inClearing) {
          boxes.add(new BoxScene.Box(x - half, y - half, x + half, y + half, height, rgb[0],
              rgb[1], rgb[2]));
        }
      }
    }
    return new BoxScene(boxes, LATTICE);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void render(float[] z, int zOff, byte[] out, int outOff) {
    Vector3f eye = new Vector3f(SCALE * z[zOff], SCALE * z[zOff + 1], HEIGHT);
    caster.render(size, 1f, eye, forward, right, up, out, outOff);
  }

  /** Meadow, stone pillars and sky. */
  private static final class Look implements RayCaster.Look {
    @Override
    public void ground(float x, float y, float[] rgb) {
      // patches of grass and soil with crisp edges
      float soil = (Noise.fractal(x * (1f / 7f), y * (1f / 7f), 21) - 0.42f) * 6f;
      soil = soil <= 0f ? 0f : soil >= 1f ? 1f : soil * soil * (3f - 2f * soil);
      float tint = Noise.value(x * (1f / 40f), y * (1f / 40f) + 50f, 22);
      float r = 0.36f + (0.62f - 0.36f) * soil + 0.1f * (tint - 0.5f);
      float g = 0.55f + (0.50f - 0.55f) * soil;
      float b = 0.22f + (0.36f - 0.22f) * soil - 0.08f * (tint - 0.5f);
      float speckle = 0.8f + 0.4f * Noise.value(x * 3.1f, y * 3.1f, 23);
      // scattered pale stones on a 2-unit lattice
      int cx = (int) Math.floor(x * 0.5f);
      int cy = (int) Math.floor(y * 0.5f);
      if (Noise.hash(cx, cy, 24) < 0.35f) {
        float sx = 2f * cx + 0.5f + Noise.hash(cx, cy, 25);
        float sy = 2f * cy + 0.5f + Noise.hash(cx, cy, 26);
        float radius = 0.25f + 0.2f * Noise.hash(cx, cy, 27);
        float dx = x - sx;
        float dy = y - sy;
        if (dx * dx + dy * dy < radius * radius) {
          float v = 0.7f + 0.25f * Noise.hash(cx, cy, 28);
          r = v;
          g = v;
          b = v * 0.95f;
          speckle = 1f;
        }
      }
      rgb[0] = r * speckle;
      rgb[1] = g * speckle;
      rgb[2] = b * speckle;
    }

    @Override
    public void box(BoxScene scene, int box, float x, float y, float z, int face, float[] rgb) {
      float r = scene.albedo(box, 0);
      float g = scene.albedo(box, 1);
      float b = scene.albedo(box, 2);
      float height = scene.height(box);
      float moss;
      float shade;
      if (face == 2) {
        moss = 0.9f;
        shade = 0.9f + 0.2f * Noise.value(x * 1.5f, y * 1.5f, 31);
      } else {
        float u = face == 0 ? y : x;
        float strata = Noise.value(z * 1.25f, 32 + box);
        float grooves = Noise.value(u * 2.2f, z * 0.15f, 33);
        shade = 0.72f + 0.36f * strata + 0.16f * (grooves - 0.5f);
        float top = (z - (height - 6f)) * 0.25f + 0.35f * (Noise.value(u * 1.3f, z * 0.9f, 34)
            - 0.5f);
        moss = top <= 0f ? 0f : top >= 1f ? 1f : top;
      }
      r = (r + (0.30f - r) * moss) * shade;
      g = (g + (0.45f - g) * moss) * shade;
      b = (b + (0.20f - b) * moss) * shade;
      rgb[0] = r;
      rgb[1] = g;
      rgb[2] = b;
    }

    @Override
    public void sky(float dx, float dy, float dz, float[] rgb) {
      float t = dz <= 0f ? 0f : dz >= 0.6f ? 1f : dz / 0.6f;
      rgb[0] = 0.82f + (0.55f - 0.82f) * t;
      rgb[1] = 0.85f + (0.70f - 0.85f) * t;
      rgb[2] = 0.90f + (0.92f - 0.90f) * t;
    }
  }
}
