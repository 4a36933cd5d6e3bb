package org.vssf.bench.env;

import java.util.ArrayList;
import java.util.List;
import org.joml.Intersectionf;
import org.joml.Vector2f;

/**
 * Axis-aligned boxes standing on the ground plane {@code z = 0}, with a uniform 2-D grid over
 * (x, y) for ray traversal (Amanatides–Woo): a ray visits the grid cells its (x, y) shadow
 * crosses, in order, and tests only the boxes registered in them (ray–box slabs by JOML's {@link
 * Intersectionf#intersectRayAab}), stopping as soon as the nearest hit lies before the current
 * cell's exit. Immutable and thread-safe.
 */
final class BoxScene {
  /** A box under construction: {@code [x0, x1] × [y0, y1] × [0, height]} with an RGB albedo. */
  record Box(float x0, float y0, float x1, float y1, float height, float r, float g, float b) {}

  private final int count;
  /** Per box: x0, y0, z0, x1, y1, z1. */
  private final float[] bounds;
  /** Per box: r, g, b. */
  private final float[] albedo;
  private final float maxHeight;
  private final float gridX0;
  private final float gridY0;
  private final float cell;
  private final int nx;
  private final int ny;
  private final int[] cellStart;
  private final int[] cellBoxes;

  /** The boxes; the grid covers their footprint with cells of {@code cellSize}. */
  BoxScene(List<Box> boxes, float cellSize) {
    count = boxes.size();
    bounds = new float[6 * count];
    albedo = new float[3 * count];
    float minX = Float.POSITIVE_INFINITY;
    float minY = Float.POSITIVE_INFINITY;
    float maxX = Float.NEGATIVE_INFINITY;
    float maxY = Float.NEGATIVE_INFINITY;
    float top = 0f;
    for (int i = 0; i < count; i++) {
      Box b = boxes.get(i);
      bounds[6 * i] = b.x0();
      bounds[6 * i + 1] = b.y0();
      bounds[6 * i + 2] = 0f;
      bounds[6 * i + 3] = b.x1();
      bounds[6 * i + 4] = b.y1();
      bounds[6 * i + 5] = b.height();
      albedo[3 * i] = b.r();
      albedo[3 * i + 1] = b.g();
      albedo[3 * i + 2] = b.b();
      minX = Math.min(minX, b.x0());
      minY = Math.min(minY, b.y0());
      maxX = Math.max(maxX, b.x1());
      maxY = Math.max(maxY, b.y1());
      top = Math.max(top, b.height());
    }
    if (count == 0) {
      minX = minY = 0f;
      maxX = maxY = cellSize;
    }
    maxHeight = top;
    cell = cellSize;
    gridX0 = minX;
    gridY0 = minY;
    nx = Math.max(1, (int) Math.ceil((maxX - minX) / cellSize));
    ny = Math.max(1, (int) Math.ceil((maxY - minY) / cellSize));
    List<List<Integer>> cells = new ArrayList<>(nx * ny);
    for (int c = 0; c < nx * ny; c++) {
      cells.add(new ArrayList<>(2));
    }
    for (int i = 0; i < count; i++) {
      int cx0 = clamp((int) Math.floor((bounds[6 * i] - gridX0) / cell), nx);
      int cx1 = clamp((int) Math.floor((bounds[6 * i + 3] - gridX0) / cell), nx);
      int cy0 = clamp((int) Math.floor((bounds[6 * i + 1] - gridY0) / cell), ny);
      int cy1 = clamp((int) Math.floor((bounds[6 * i + 4] - gridY0) / cell), ny);
      for (int cy = cy0; cy <= cy1; cy++) {
        for (int cx = cx0; cx <= cx1; cx++) {
          cells.get(cy * nx + cx).add(i);
        }
      }
    }
    cellStart = new int[nx * ny + 1];
    int total = 0;
    for (int c = 0; c < nx * ny; c++) {
      cellStart[c] = total;
      total += cells.get(c).size();
    }
    cellStart[nx * ny] = total;
    cellBoxes = new int[total];
    for (int c = 0, o = 0; c < nx * ny; c++) {
      for (int b : cells.get(c)) {
        cellBoxes[o++] = b;
      }
    }
  }

  private static int clamp(int v, int n) {
    return v < 0 ? 0 : v >= n ? n - 1 : v;
  }

  float albedo(int i, int channel) {
    return albedo[3 * i + channel];
  }

  float x0(int i) {
    return bounds[6 * i];
  }

  float y0(int i) {
    return bounds[6 * i + 1];
  }

  float x1(int i) {
    return bounds[6 * i + 3];
  }

  float y1(int i) {
    return bounds[6 * i + 4];
  }

  float height(int i) {
    return bounds[6 * i + 5];
  }

  /**
   * The nearest box the ray {@code o + t·d} enters at some {@code 0 < t < tMax}; boxes that
   * contain the origin are ignored (seen from inside they are invisible).
   *
   * @param tmp scratch for JOML's slab test
   * @param tHit receives the entry distance at index 0 when a box is hit
   * @return the box index, or −1
   */
  int nearest(float ox, float oy, float oz, float dx, float dy, float dz, float tMax,
      Vector2f tmp, float[] tHit) {
    if (count == 0) {
      return -1;
    }
    float t0 = 0f;
    float t1 = tMax;
    // z slab [0, maxHeight]
    if (dz != 0f) {
      float ta = (0f - oz) / dz;
      float tb = (maxHeight - oz) / dz;
      t0 = Math.max(t0, Math.min(ta, tb));
      t1 = Math.min(t1, Math.max(ta, tb));
    } else if (oz < 0f || oz > maxHeight) {
      return -1;
    }
    float gx1 = gridX0 + nx * cell;
    float gy1 = gridY0 + ny * cell;
    if (dx != 0f) {
      float ta = (gridX0 - ox) / dx;
      float tb = (gx1 - ox) / dx;
      t0 = Math.max(t0, Math.min(ta, tb));
      t1 = Math.min(t1, Math.max(ta, tb));
    } else if (ox < gridX0 || ox > gx1) {
      return -1;
    }
    if (dy != 0f) {
      float ta = (gridY0 - oy) / dy;
      float tb = (gy1 - oy) / dy;
      t0 = Math.max(t0, Math.min(ta, tb));
      t1 = Math.min(t1, Math.max(ta, tb));
    } else if (oy < gridY0 || oy > gy1) {
      return -1;
    }
    if (!(t0 < t1)) {
      return -1;
    }
    int ix = clamp((int) Math.floor((ox + t0 * dx - gridX0) / cell), nx);
    int iy = clamp((int) Math.floor((oy + t0 * dy - gridY0) / cell), ny);
    int stepX = dx > 0f ? 1 : -1;
    int stepY = dy > 0f ? 1 : -1;
    float nextX = dx == 0f ? Float.POSITIVE_INFINITY
        : (gridX0 + (ix + (dx > 0f ? 1 : 0)) * cell - ox) / dx;
    float nextY = dy == 0f ? Float.POSITIVE_INFINITY
        : (gridY0 + (iy + (dy > 0f ? 1 : 0)) * cell - oy) / dy;
    float deltaX = dx == 0f ? Float.POSITIVE_INFINITY : cell / Math.abs(dx);
    float deltaY = dy == 0f ? Float.POSITIVE_INFINITY : cell / Math.abs(dy);
    float best = t1;
    int hit = -1;
    while (true) {
      int c = iy * nx + ix;
      for (int q = cellStart[c]; q < cellStart[c + 1]; q++) {
        int b = cellBoxes[q];
        int o = 6 * b;
        if (Intersectionf.intersectRayAab(ox, oy, oz, dx, dy, dz, bounds[o], bounds[o + 1],
            bounds[o + 2], bounds[o + 3], bounds[o + 4], bounds[o + 5], tmp)
            && tmp.x > 0f && tmp.x < best) {
          best = tmp.x;
          hit = b;
        }
      }
      float exit = Math.min(nextX, nextY);
      if (best <= exit || exit >= t1) {
        break;
      }
      if (nextX < nextY) {
        ix += stepX;
        if (ix < 0 || ix >= nx) {
          break;
        }
        nextX += deltaX;
      } else {
        iy += stepY;
        if (iy < 0 || iy >= ny) {
          break;
        }
        nextY += deltaY;
      }
    }
    if (hit >= 0) {
      tHit[0] = best;
    }
    return hit;
  }
}
