package org.vssf.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vssf.autodiff.GradCheck;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;
import org.vssf.testing.SeededTest;

/** BatchNorm: training normalises with batch statistics, eval with debiased running averages. */
class BatchNormTest extends SeededTest {
  @Test
  void trainingNormalisesPerChannelAndTracksDebiasedAverages() {
    BatchNorm bn = BatchNorm.channels(2);
    float[] v = new float[4 * 2 * 3 * 3];
    for (int i = 0; i < v.length; i++) {
      int channel = (i / 9) % 2;
      v[i] = (float) (channel == 0 ? 5 + 2 * gaussian() : -1 + 0.5 * gaussian());
    }
    Tensor x = Tensor.wrap(v, 4, 2, 3, 3);
    Tensor y = bn.forward(x);
    Tape.clear();
    for (int c = 0; c < 2; c++) {
      double mean = 0;
      double var = 0;
      double xm = 0;
      double xv = 0;
      int n = 0;
      for (int b = 0; b < 4; b++) {
        for (int k = 0; k < 9; k++) {
          mean += y.data()[(b * 2 + c) * 9 + k];
          xm += v[(b * 2 + c) * 9 + k];
          n++;
        }
      }
      mean /= n;
      xm /= n;
      for (int b = 0; b < 4; b++) {
        for (int k = 0; k < 9; k++) {
          var += Math.pow(y.data()[(b * 2 + c) * 9 + k] - mean, 2);
          xv += Math.pow(v[(b * 2 + c) * 9 + k] - xm, 2);
        }
      }
      assertEquals(0, mean, 1e-5, "channel " + c + " mean");
      assertEquals(1, var / n, 1e-3, "channel " + c + " variance");
      // One step: the debiased average equals the batch statistic exactly.
      assertEquals(xm, bn.runningMean().data()[c], 1e-4 * Math.abs(xm) + 1e-5);
      assertEquals(xv / n, bn.runningVariance().data()[c], 1e-4 * xv / n);
    }
    bn.eval();
    Tensor ye = bn.forward(x);
    assertArrayEquals(y.data(), ye.data(), 2e-4f, "eval with averages from this very batch ≈ training output");
    assertEquals(1f, bn.namedBuffers().get("counter").data()[0]);
  }

  @Test
  void evalBeforeTrainingIsIdentityForUnitScale() {
    BatchNorm bn = new BatchNorm(new int[] {1, 1, 3}, new int[] {0, 1}, 0.9f, 0f);
    bn.eval();
    Tensor x = Tensor.wrap(randomFloats(2 * 4 * 3), 2, 4, 3);
    assertArrayEquals(x.data(), bn.forward(x).data(), 1e-6f);
  }

  @Test
  void gradientsFlowThroughScaleOffsetAndInput() {
    BatchNorm bn = new BatchNorm(new int[] {1, 1, 3}, new int[] {0, 1}, 0.9f, 1e-3f);
    Tensor x = Tensor.wrap(randomFloats(2 * 4 * 3), 2, 4, 3).requiresGrad(true);
    GradCheck.check("BatchNorm over (B,T)" + seedInfo(), t -> bn.forward(t[0]), rng, x,
        bn.namedParameters().get("scale"), bn.namedParameters().get("offset"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bn.forward(Tensor.zeros(2, 4, 5)));
    assertEquals("BatchNorm: input [2, 4, 5] does not match feature shape [1, 1, 3]", e.getMessage());
  }
}
