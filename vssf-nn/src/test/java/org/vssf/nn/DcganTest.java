package org.vssf.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;

/** DCGAN encoder/decoder shapes at the reference sizes, and a conv autoencoder that learns. */
class DcganTest {
  private static final int STEPS = 500;

  @Test
  void shapesAndNamesAtTheReferenceSizes() {
    SplittableRandom r = new SplittableRandom(5);
    int m = 2;
    int h = 4 * m * m;
    Sequential enc64 = Dcgan.encoder(64, 32, h, m, r);
    Sequential dec64 = Dcgan.decoder(64, 32, h, m, r);
    try (Tape.Scope ng = Tape.noGrad()) {
      Tensor z = enc64.forward(Tensor.zeros(2, 3, 64, 64));
      assertArrayEquals(new int[] {2, m}, z.shape());
      assertArrayEquals(new int[] {2, 3, 64, 64}, dec64.forward(z).shape());
      Sequential enc32 = Dcgan.encoder(32, 16, h, m, r);
      Sequential dec32 = Dcgan.decoder(32, 16, h, m, r);
      assertArrayEquals(new int[] {3, 3, 32, 32}, dec32.forward(enc32.forward(Tensor.zeros(3, 3, 32, 32))).shape());
    }
    List<String> names = List.copyOf(enc64.namedParameters().keySet());
    assertEquals("block1.0.weight", names.get(0));
    assertTrue(names.contains("block4.0.weight") && names.contains("head.1.scale") && names.contains("mlp.4.bias"), names.toString());
    assertArrayEquals(new int[] {256, 128, 4, 4}, enc64.namedParameters().get("block4.0.weight").shape(),
        "the 64×64 encoder's last block has 8nf channels at 4×4");
    assertArrayEquals(new int[] {16, 256, 4, 4}, dec64.namedParameters().get("block1.0.weight").shape());
    assertArrayEquals(new int[] {32, 3, 4, 4}, dec64.namedParameters().get("out.weight").shape());
    assertTrue(enc64.namedBuffers().containsKey("block2.1.mean_hidden"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dcgan.blocks(48));
    assertEquals("DCGAN image size must be a power of two >= 16, got 48", e.getMessage());
  }

  /** Images of a soft coloured disc at a random position: a 3-number family the AE can learn. */
  private static float[] discs(SplittableRandom rng, int n, int size) {
    float[] x = new float[n * 3 * size * size];
    for (int i = 0; i < n; i++) {
      double cx = 3 + (size - 6) * rng.nextDouble();
      double cy = 3 + (size - 6) * rng.nextDouble();
      double hue = rng.nextDouble();
      double[] colour = {Math.cos(2 * Math.PI * hue), Math.cos(2 * Math.PI * (hue + 1 / 3.0)),
          Math.cos(2 * Math.PI * (hue + 2 / 3.0))};
      for (int c = 0; c < 3; c++) {
        for (int yy = 0; yy < size; yy++) {
          for (int xx = 0; xx < size; xx++) {
            double d2 = (xx - cx) * (xx - cx) + (yy - cy) * (yy - cy);
            double inside = 1 / (1 + Math.exp((d2 - 20) / 4)); // radius ≈ 4.5 px, soft edge
            x[((i * 3 + c) * size + yy) * size + xx] = (float) (-0.8 + inside * (0.8 + 0.9 * colour[c]));
          }
        }
      }
    }
    return x;
  }

  /** Trains a 16×16 conv autoencoder; returns {first-batch loss, last-10 mean loss, decoder weights}. */
  private static Object[] trainAutoencoder(long seed, int steps) {
    RandomStreams rs = new RandomStreams(seed);
    int size = 16;
    int latent = 8;
    Sequential enc = Dcgan.encoder(size, 8, 32, latent, rs.init());
    Sequential dec = Dcgan.decoder(size, 8, 32, latent, rs.init());
    Sequential ae = new Sequential().add("encoder", enc).add("decoder", dec);
    Adam adam = Adam.adamW(ae, LearningRate.constant(2e-3f), 1e-4f, 0f);
    double first = Double.NaN;
    double tail = 0;
    for (int s = 0; s < steps; s++) {
      Tensor x = Tensor.wrap(discs(rs.data(), 16, size), 16, 3, size, size);
      ae.zeroGrad();
      Tensor loss = Ops.mean(Ops.square(Ops.sub(ae.forward(x), x)));
      if (s == 0) {
        first = loss.item();
      }
      if (s >= steps - 10) {
        tail += loss.item() / 10;
      }
      loss.backward();
      adam.update();
    }
    return new Object[] {first, tail, dec.namedParameters().get("out.weight").data().clone()};
  }

  /** MSE of the best constant image (the per-pixel mean) on fresh discs: what a net that ignores its input reaches. */
  private static double meanImageMse() {
    SplittableRandom rng = new SplittableRandom(99);
    int n = 2000;
    int px = 3 * 16 * 16;
    float[] x = discs(rng, n, 16);
    double[] mean = new double[px];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < px; j++) {
        mean[j] += x[i * px + j] / (double) n;
      }
    }
    double mse = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < px; j++) {
        mse += Math.pow(x[i * px + j] - mean[j], 2) / ((double) n * px);
      }
    }
    return mse;
  }

  @Test
  void convAutoencoderLearnsDeterministically() {
    double baseline = meanImageMse();
    Object[] a = trainAutoencoder(7, STEPS);
    double first = (double) a[0];
    double last = (double) a[1];
    // Stated threshold: after 500 steps the mean of the last 10 batch losses is below half of what
    // the best constant image scores (≈ 0.15), so the net must encode each image's disc (untrained
    // it sits near 0.84; this seed reaches ≈ 0.42 of the baseline).
    assertTrue(last < 0.5 * baseline, "autoencoder MSE after " + STEPS + " steps: " + last
        + " (started at " + first + "); the best constant image scores " + baseline);
  }

  @Test
  void trainingIsBitwiseReproducible() {
    Object[] a = trainAutoencoder(11, 30);
    Object[] b = trainAutoencoder(11, 30);
    assertArrayEquals((float[]) a[2], (float[]) b[2], "same seed and threads: bitwise identical weights");
  }
}
