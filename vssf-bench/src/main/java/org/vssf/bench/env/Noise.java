package org.vssf.bench.env;

/**
 * Procedural texture primitives in float arithmetic: an integer hash onto [0, 1) and value noise
 * (hashed lattice values blended with the smoothstep {@code 3t² − 2t³}), in one and two
 * dimensions. Pure functions of their arguments.
 */
final class Noise {
  private Noise() {}

  /** A well-mixed hash of three integers onto [0, 1) (24 bits). */
  static float hash(int x, int y, int seed) {
    int h = x * 0x27d4eb2d + y * 0x165667b1 + seed * 0x61c88647;
    h ^= h >>> 15;
    h *= 0x2c1b3c6d;
    h ^= h >>> 12;
    h *= 0x297a2d39;
    h ^= h >>> 15;
    return (h >>> 8) * (1f / 16777216f);
  }

  /** Smooth 2-D value noise in [0, 1) with unit lattice spacing. */
  static float value(float x, float y, int seed) {
    float fx = (float) Math.floor(x);
    float fy = (float) Math.floor(y);
    int ix = (int) fx;
    int iy = (int) fy;
    float tx = x - fx;
    float ty = y - fy;
    tx = tx * tx * (3f - 2f * tx);
    ty = ty * ty * (3f - 2f * ty);
    float a = hash(ix, iy, seed);
    float b = hash(ix + 1, iy, seed);
    float c = hash(ix, iy + 1, seed);
    float d = hash(ix + 1, iy + 1, seed);
    float top = a + (b - a) * tx;
    float bottom = c + (d - c) * tx;
    return top + (bottom - top) * ty;
  }

  /** Smooth 1-D value noise in [0, 1) with unit lattice spacing. */
  static float value(float x, int seed) {
    float fx = (float) Math.floor(x);
    int ix = (int) fx;
    float t = x - fx;
    t = t * t * (3f - 2f * t);
    float a = hash(ix, 0x5bd1e995, seed);
    float b = hash(ix + 1, 0x5bd1e995, seed);
    return a + (b - a) * t;
  }

  /** Two octaves of {@link #value(float, float, int)}: {@code (2·n(x) + n(2x)) / 3}. */
  static float fractal(float x, float y, int seed) {
    return (2f * value(x, y, seed) + value(2f * x + 17.3f, 2f * y - 9.1f, seed + 1)) * (1f / 3f);
  }
}
