package org.vssf.bench.env;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.joml.Vector3f;

/**
 * The block world (our stand-in for the paper's AirSim "Blocks"): a camera at world position
 * {@code (3x, 3y)}, height 15, yaw 45°, looking straight down with a 90° field of view, over a
 * textured ground plane with coloured boxes. The state is (x, y, ẋ, ẏ); only x and y are seen.
 *
 * <p>The layout comes from a scene seed: on a 6-unit lattice over {@code [−54, 54]²}, each cell
 * holds a box with probability 0.6 (jittered inside its cell, so boxes never overlap), 1.4–4
 * units wide, 0.8–6 high, in a random saturated colour. The ground mixes two colours through
 * large-scale value noise, with 3-unit checker tiles, lines every 6 units and fine noise, so
 * that both the boxes and the ground tell where the camera is. Hard shadows from a high sun.
 * Rendered by {@link RayCaster} with 2×2 supersampling.
 */
public final class BlockWorldRenderer implements Renderer {
  /** Camera height above the ground. */
  public static final float HEIGHT = 15f;
  /** World units per state unit: the camera is at {@code (SCALE·x, SCALE·y)}. */
  public static final float SCALE = 3f;
  /** Camera yaw in radians (45°). */
  public static final float YAW = 0.785398f;
  /** Half-extent of the region holding boxes. */
  public static final float EXTENT = 54f;

  private static final float LATTICE = 6f;

  private final int size;
  private final RayCaster caster;
  private final Vector3f forward = new Vector3f(0f, 0f, -1f);
  private final Vector3f up;
  private final Vector3f right;
  private final float tanHalfFov = 1f; // 90°

  /** Images of {@code size × size} pixels of the scene made from {@code sceneSeed}. */
  public BlockWorldRenderer(int size, long sceneSeed) {
    if (size < 4) {
      throw new IllegalArgumentException("block-world image size must be >= 4, got " + size);
    }
    this.size = size;
    up = new Vector3f((float) StrictMath.cos(YAW), (float) StrictMath.sin(YAW), 0f);
    right = RayCaster.cross(forward, up);
    BoxScene scene = layout(sceneSeed);
    caster = new RayCaster(scene, new Look(), new Vector3f(-0.35f, -0.25f, 1f), 0.45f, true, 0f,
        new Vector3f(), 1000f, 2);
  }

  private static BoxScene layout(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<BoxScene.Box> boxes = new ArrayList<>();
    int cells = (int) (2 * EXTENT / LATTICE);
    for (int cy = 0; cy < cells; cy++) {
      for (int cx = 0; cx < cells; cx++) {
        float halfX = uniform(rng, 0.7f, 2.0f);
        float halfY = uniform(rng, 0.7f, 2.0f);
        float height = 0.8f + 5.2f * (float) StrictMath.pow(rng.nextDouble(), 1.5);
        float hue = (float) rng.nextDouble();
        float sat = uniform(rng, 0.55f, 0.9f);
        float val = uniform(rng, 0.6f, 0.95f);
        float jx = uniform(rng, -1f, 1f) * (LATTICE / 2 - halfX - 0.3f);
        float jy = uniform(rng, -1f, 1f) * (LATTICE / 2 - halfY - 0.3f);
        boolean present = rng.nextDouble() < 0.6;
        if (!present) {
          continue;
        }
        float centreX = -EXTENT + (cx + 0.5f) * LATTICE + jx;
        float centreY = -EXTENT + (cy + 0.5f) * LATTICE + jy;
        float[] rgb = hsv(hue, sat, val);
        boxes.add(new BoxScene.Box(centreX - halfX, centreY - halfY, centreX + halfX,
            centreY + halfY, height, rgb[0], rgb[1], rgb[2]));
      }
    }
    return new BoxScene(boxes, LATTICE);
  }

  static float uniform(SplittableRandom rng, float lo, float hi) {
    return lo + (hi - lo) * (float) rng.nextDouble();
  }

  /** HSV (all in [0, 1]) to RGB. */
  static float[] hsv(float h, float s, float v) {
    float h6 = h * 6f;
    int sector = Math.min(5, (int) h6);
    float f = h6 - sector;
    float p = v * (1f - s);
    float q = v * (1f - s * f);
    float t = v * (1f - s * (1f - f));
    switch (sector) {
      case 0:
        return new float[] {v, t, p};
      case 1:
        return new float[] {q, v, p};
      case 2:
        return new float[] {p, v, t};
      case 3:
        return new float[] {p, q, v};
      case 4:
        return new float[] {t, p, v};
      default:
        return new float[] {v, p, q};
    }
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void render(float[] z, int zOff, byte[] out, int outOff) {
    Vector3f eye = new Vector3f(SCALE * z[zOff], SCALE * z[zOff + 1], HEIGHT);
    caster.render(size, tanHalfFov, eye, forward, right, up, out, outOff);
  }

  /** Ground and box colours. */
  private static final class Look implements RayCaster.Look {
    @Override
    public void ground(float x, float y, float[] rgb) {
      // two ground colours mixed by large-scale noise, tinted by a second slow field
      float mix = Noise.fractal(x * (1f / 14f), y * (1f / 14f), 11);
      float tint = Noise.value(x * (1f / 31f) + 100f, y * (1f / 31f), 12);
      float r = 0.80f + (0.42f - 0.80f) * mix;
      float g = 0.74f + (0.62f - 0.74f) * mix;
      float b = 0.56f + (0.36f - 0.56f) * mix;
      r += 0.12f * (tint - 0.5f);
      b -= 0.12f * (tint - 0.5f);
      // checker tiles of 3 units, lines every 6 units, fine grain
      int cx = (int) Math.floor(x * (1f / 3f));
      int cy = (int) Math.floor(y * (1f / 3f));
      float shade = ((cx + cy) & 1) == 0 ? 1.0f : 0.9f;
      float fx = x * (1f / 6f) - (float) Math.floor(x * (1f / 6f));
      float fy = y * (1f / 6f) - (float) Math.floor(y * (1f / 6f));
      if (fx < 0.025f || fy < 0.025f) {
        shade *= 0.6f;
      }
      shade *= 0.9f + 0.2f * Noise.value(x * 1.7f, y * 1.7f, 13);
      rgb[0] = r * shade;
      rgb[1] = g * shade;
      rgb[2] = b * shade;
    }

    @Override
    public void box(BoxScene scene, int box, float x, float y, float z, int face, float[] rgb) {
      // plain paint with a faint grain, and a darker rim on the roof
      float u = face == 0 ? y : x;
      float v = face == 2 ? y : z;
      float grain = 0.92f + 0.08f * Noise.value(u * 2.3f, v * 2.3f, 14 + box);
      if (face == 2) {
        float rim = Math.min(Math.min(x - scene.x0(box), scene.x1(box) - x),
            Math.min(y - scene.y0(box), scene.y1(box) - y));
        if (rim < 0.2f) {
          grain *= 0.75f;
        }
      }
      rgb[0] = scene.albedo(box, 0) * grain;
      rgb[1] = scene.albedo(box, 1) * grain;
      rgb[2] = scene.albedo(box, 2) * grain;
    }

    @Override
    public void sky(float dx, float dy, float dz, float[] rgb) {
      rgb[0] = 0.7f;
      rgb[1] = 0.8f;
      rgb[2] = 0.95f;
    }
  }
}
