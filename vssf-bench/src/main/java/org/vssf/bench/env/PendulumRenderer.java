package org.vssf.bench.env;

/**
 * The pendulum image of the reference setup, by our own anti-aliased rasteriser: grey 0.9
 * background, a dark (0.1) rod 1 px wide from the centre to a red (0.9, 0, 0) ball, rod length
 * {@code 0.7·size/2}, ball radius {@code 0.1·size/2}, drawn angle {@code α = 3.1·tanh(θ/6)}
 * (squashed so it never wraps), ball centre {@code (sin α·r + size/2, cos α·r + size/2)} in pixel
 * coordinates (x right, y down; pixel (i, j) covers {@code [i, i+1) × [j, j+1)}).
 *
 * <p>Coverage is the box-filtered distance to each shape: a pixel whose centre is at distance d
 * from the rod's segment gets {@code clamp(1 − d, 0, 1)} of the rod colour, and {@code clamp(R +
 * ½ − d, 0, 1)} of the ball's (drawn over the rod). Only θ = z[0] is used.
 */
public final class PendulumRenderer implements Renderer {
  private static final float BACKGROUND = 0.9f;
  private static final float ROD = 0.1f;
  private static final float BALL_R = 0.9f;

  private final int size;

  /** Images of {@code size × size} pixels (≥ 4). */
  public PendulumRenderer(int size) {
    if (size < 4) {
      throw new IllegalArgumentException("pendulum image size must be >= 4, got " + size);
    }
    this.size = size;
  }

  @Override
  public int size() {
    return size;
  }

  /** The drawn angle α = 3.1·tanh(θ/6) of state θ, as used for the image. */
  public static float drawnAngle(float theta) {
    return (float) (3.1 * StrictMath.tanh(theta / 6.0));
  }

  @Override
  public void render(float[] z, int zOff, byte[] out, int outOff) {
    float half = size * 0.5f;
    float r = 0.7f * half;
    float radius = 0.1f * half;
    double alpha = drawnAngle(z[zOff]);
    float bx = (float) StrictMath.sin(alpha) * r + half;
    float by = (float) StrictMath.cos(alpha) * r + half;
    float dx = bx - half;
    float dy = by - half;
    float len2 = dx * dx + dy * dy;
    byte bg = Renderer.toByte(BACKGROUND);
    // everything outside this box is background
    int x0 = Math.max(0, (int) Math.floor(Math.min(half, bx) - radius - 2));
    int x1 = Math.min(size, (int) Math.ceil(Math.max(half, bx) + radius + 2));
    int y0 = Math.max(0, (int) Math.floor(Math.min(half, by) - radius - 2));
    int y1 = Math.min(size, (int) Math.ceil(Math.max(half, by) + radius + 2));
    java.util.Arrays.fill(out, outOff, outOff + frameBytes(), bg);
    for (int j = y0; j < y1; j++) {
      float py = j + 0.5f;
      for (int i = x0; i < x1; i++) {
        float px = i + 0.5f;
        // rod: distance to the segment centre → ball
        float t = len2 > 0f ? ((px - half) * dx + (py - half) * dy) / len2 : 0f;
        t = t < 0f ? 0f : t > 1f ? 1f : t;
        float ex = px - (half + t * dx);
        float ey = py - (half + t * dy);
        float rod = 1f - (float) Math.sqrt(ex * ex + ey * ey);
        rod = rod < 0f ? 0f : rod;
        float cr = BACKGROUND + (ROD - BACKGROUND) * rod;
        float cg = cr;
        float cb = cr;
        // ball over the rod
        float qx = px - bx;
        float qy = py - by;
        float ball = radius + 0.5f - (float) Math.sqrt(qx * qx + qy * qy);
        ball = ball < 0f ? 0f : ball > 1f ? 1f : ball;
        cr += (BALL_R - cr) * ball;
        cg -= cg * ball;
        cb -= cb * ball;
        int o = outOff + (j * size + i) * 3;
        out[o] = Renderer.toByte(cr);
        out[o + 1] = Renderer.toByte(cg);
        out[o + 2] = Renderer.toByte(cb);
      }
    }
  }
}
