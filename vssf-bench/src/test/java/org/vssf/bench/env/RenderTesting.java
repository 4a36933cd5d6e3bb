package org.vssf.bench.env;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Helpers for renderer tests. */
final class RenderTesting {
  private RenderTesting() {}

  /** SHA-256 (hex) of the images of {@code states} (each of length m) rendered in order. */
  static String checksum(Renderer r, float[]... states) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] img = new byte[r.frameBytes()];
      for (float[] z : states) {
        r.render(z, 0, img, 0);
        md.update(img);
      }
      StringBuilder sb = new StringBuilder();
      for (byte b : md.digest()) {
        sb.append(String.format("%02x", b));
      }
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static byte[] render(Renderer r, float... z) {
    byte[] img = new byte[r.frameBytes()];
    r.render(z, 0, img, 0);
    return img;
  }

  /** Fraction of pixels whose channels spread by more than {@code spread} (coloured, not grey). */
  static double colourfulFraction(byte[] img, int spread) {
    int n = 0;
    for (int o = 0; o < img.length; o += 3) {
      int r = img[o] & 255;
      int g = img[o + 1] & 255;
      int b = img[o + 2] & 255;
      if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > spread) {
        n++;
      }
    }
    return n / (img.length / 3.0);
  }

  /** Number of distinct RGB triples. */
  static int distinctColours(byte[] img) {
    java.util.Set<Integer> s = new java.util.HashSet<>();
    for (int o = 0; o < img.length; o += 3) {
      s.add(((img[o] & 255) << 16) | ((img[o + 1] & 255) << 8) | (img[o + 2] & 255));
    }
    return s.size();
  }
}
