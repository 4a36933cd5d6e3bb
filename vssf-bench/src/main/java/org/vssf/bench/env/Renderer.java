package org.vssf.bench.env;

/**
 * Turns a state into a square uint8 RGB image, {@code [H, W, 3]} row-major with row 0 at the top
 * (the layout of one frame in {@code images.npy}). Implementations are immutable and thread-safe,
 * and compute with float arithmetic and {@link StrictMath} only, so an image is a function of the
 * state bits alone: bitwise the same on every JVM and for every thread count.
 */
public interface Renderer {
  /** Image height and width in pixels. */
  int size();

  /** Bytes of one image: {@code size·size·3}. */
  default int frameBytes() {
    return size() * size() * 3;
  }

  /** Renders state {@code z[zOff ..]} into {@code out[outOff .. outOff + frameBytes())}. */
  void render(float[] z, int zOff, byte[] out, int outOff);

  /** {@code round(255·clamp(c, 0, 1))} as an unsigned byte. */
  static byte toByte(float c) {
    float v = c <= 0f ? 0f : c >= 1f ? 255f : c * 255f;
    return (byte) (int) (v + 0.5f);
  }
}
