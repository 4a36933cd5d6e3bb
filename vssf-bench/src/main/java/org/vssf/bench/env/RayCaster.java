package org.vssf.bench.env;

import org.joml.Intersectionf;
import org.joml.Vector2f;
import org.joml.Vector3f;
import org.joml.Vector3fc;

/**
 * A pinhole-camera ray caster over a {@link BoxScene} on the ground plane {@code z = 0}: per
 * sample, the nearest of ground (JOML's {@link Intersectionf#intersectRayPlane}) and box hits,
 * Lambert shading {@code albedo·(ambient + (1 − ambient)·max(0, n·l))} with optional hard
 * shadows (a second ray towards the light), exponential distance fog {@code c·e^(−t/λ) +
 * fog·(1 − e^(−t/λ))}, and {@code s × s} supersampling averaged in linear values. Immutable and
 * thread-safe; each call allocates its own scratch.
 *
 * <p>JOML's intersection tests are plain float arithmetic. Its vector {@code normalize} and
 * {@code cross} switch to {@link Math#fma} under {@code -Djoml.useMathFma=true}, which would change
 * the last bits of an image, so the few vector operations here ({@link #normalize}, {@link
 * #cross}) are written out.
 */
final class RayCaster {
  /** Surface colours of a world. */
  interface Look {
    /** Albedo of the ground at (x, y). */
    void ground(float x, float y, float[] rgb);

    /**
     * Albedo of box {@code box} of {@code scene} at the surface point (x, y, z); {@code face}: 0 =
     * ±x, 1 = ±y, 2 = top.
     */
    void box(BoxScene scene, int box, float x, float y, float z, int face, float[] rgb);

    /** Colour of the sky in unit direction d (no fog is added to it). */
    void sky(float dx, float dy, float dz, float[] rgb);
  }

  private final BoxScene scene;
  private final Look look;
  private final float lx;
  private final float ly;
  private final float lz;
  private final float ambient;
  private final boolean shadows;
  private final float fogDistance;
  private final float fogR;
  private final float fogG;
  private final float fogB;
  private final float far;
  private final int supersample;

  /**
   * @param light direction towards the light (normalised here)
   * @param fogDistance λ of the fog, or 0 for none
   * @param fog fog colour (ignored without fog)
   * @param far distance beyond which rays see the sky
   * @param supersample samples per pixel along each axis (≥ 1)
   */
  RayCaster(BoxScene scene, Look look, Vector3fc light, float ambient, boolean shadows,
      float fogDistance, Vector3fc fog, float far, int supersample) {
    this.scene = scene;
    this.look = look;
    Vector3f l = normalize(new Vector3f(light));
    this.lx = l.x;
    this.ly = l.y;
    this.lz = l.z;
    this.ambient = ambient;
    this.shadows = shadows;
    this.fogDistance = fogDistance;
    this.fogR = fog.x();
    this.fogG = fog.y();
    this.fogB = fog.z();
    this.far = far;
    this.supersample = supersample;
  }

  /**
   * Renders a {@code size × size} image seen from {@code eye} along {@code forward}, with {@code
   * right}/{@code up} spanning the image plane at unit distance scaled by {@code tanHalfFov}.
   */
  void render(int size, float tanHalfFov, Vector3fc eye, Vector3fc forward, Vector3fc right,
      Vector3fc up, byte[] out, int outOff) {
    Scratch s = new Scratch();
    int ss = supersample;
    float inv = 1f / (ss * ss);
    float pixel = 2f / size;
    for (int j = 0; j < size; j++) {
      for (int i = 0; i < size; i++) {
        float r = 0f;
        float g = 0f;
        float b = 0f;
        for (int sy = 0; sy < ss; sy++) {
          float v = (1f - (j + (sy + 0.5f) / ss) * pixel) * tanHalfFov;
          for (int sx = 0; sx < ss; sx++) {
            float u = ((i + (sx + 0.5f) / ss) * pixel - 1f) * tanHalfFov;
            normalize(s.dir.set(forward.x() + u * right.x() + v * up.x(),
                forward.y() + u * right.y() + v * up.y(),
                forward.z() + u * right.z() + v * up.z()));
            trace(eye.x(), eye.y(), eye.z(), s.dir.x, s.dir.y, s.dir.z, s);
            r += s.rgb[0];
            g += s.rgb[1];
            b += s.rgb[2];
          }
        }
        int o = outOff + (j * size + i) * 3;
        out[o] = Renderer.toByte(r * inv);
        out[o + 1] = Renderer.toByte(g * inv);
        out[o + 2] = Renderer.toByte(b * inv);
      }
    }
  }

  /** Colour seen along the unit ray o + t·d, into {@code s.rgb}. */
  private void trace(float ox, float oy, float oz, float dx, float dy, float dz, Scratch s) {
    float tGround = Intersectionf.intersectRayPlane(ox, oy, oz, dx, dy, dz, 0f, 0f, 0f, 0f, 0f,
        1f, 1e-7f);
    float tMax = tGround >= 0f ? Math.min(tGround, far) : far;
    int box = scene.nearest(ox, oy, oz, dx, dy, dz, tMax, s.slab, s.tHit);
    float t;
    float nx = 0f;
    float ny = 0f;
    float nz = 1f;
    if (box >= 0) {
      t = s.tHit[0];
      float px = ox + t * dx;
      float py = oy + t * dy;
      float pz = oz + t * dz;
      // the face is the bound the hit point lies closest to
      float best = Math.abs(pz - scene.height(box));
      int face = 2;
      float d;
      if ((d = Math.abs(px - scene.x0(box))) < best) {
        best = d;
        face = 0;
        nx = -1f;
      }
      if ((d = Math.abs(px - scene.x1(box))) < best) {
        best = d;
        face = 0;
        nx = 1f;
      }
      if ((d = Math.abs(py - scene.y0(box))) < best) {
        best = d;
        face = 1;
        nx = 0f;
        ny = -1f;
      }
      if (Math.abs(py - scene.y1(box)) < best) {
        face = 1;
        nx = 0f;
        ny = 1f;
      }
      if (face != 2) {
        nz = 0f;
      }
      look.box(scene, box, px, py, pz, face, s.rgb);
      shade(px, py, pz, nx, ny, nz, s);
    } else if (tGround >= 0f && tGround <= far) {
      t = tGround;
      float px = ox + t * dx;
      float py = oy + t * dy;
      look.ground(px, py, s.rgb);
      shade(px, py, 0f, 0f, 0f, 1f, s);
    } else {
      look.sky(dx, dy, dz, s.rgb);
      return;
    }
    if (fogDistance > 0f) {
      float keep = (float) StrictMath.exp(-t / fogDistance);
      s.rgb[0] = fogR + (s.rgb[0] - fogR) * keep;
      s.rgb[1] = fogG + (s.rgb[1] - fogG) * keep;
      s.rgb[2] = fogB + (s.rgb[2] - fogB) * keep;
    }
  }

  private void shade(float px, float py, float pz, float nx, float ny, float nz, Scratch s) {
    float ndotl = nx * lx + ny * ly + nz * lz;
    float lit = ambient;
    if (ndotl > 0f) {
      boolean shadowed = shadows && scene.nearest(px + 1e-3f * nx, py + 1e-3f * ny,
          pz + 1e-3f * nz, lx, ly, lz, Float.POSITIVE_INFINITY, s.slab, s.tHit) >= 0;
      if (!shadowed) {
        lit += (1f - ambient) * ndotl;
      }
    }
    s.rgb[0] *= lit;
    s.rgb[1] *= lit;
    s.rgb[2] *= lit;
  }

  /** {@code v / |v|} in place, in plain float arithmetic (no FMA). */
  static Vector3f normalize(Vector3f v) {
    float inv = 1f / (float) Math.sqrt(v.x * v.x + v.y * v.y + v.z * v.z);
    return v.set(v.x * inv, v.y * inv, v.z * inv);
  }

  /** {@code a × b}, in plain float arithmetic (no FMA). */
  static Vector3f cross(Vector3fc a, Vector3fc b) {
    return new Vector3f(a.y() * b.z() - a.z() * b.y(), a.z() * b.x() - a.x() * b.z(),
        a.x() * b.y() - a.y() * b.x());
  }

  /** Per-call scratch, so that one caster serves many threads. */
  private static final class Scratch {
    final Vector3f dir = new Vector3f();
    final Vector2f slab = new Vector2f();
    final float[] tHit = new float[1];
    final float[] rgb = new float[3];
  }
}
