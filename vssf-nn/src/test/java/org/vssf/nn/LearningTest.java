package org.vssf.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tensor;

/** An MLP learns a smooth function with AdamW, deterministically for its seed. */
class LearningTest {
  /** Trains 16→32→32→1 on y = sin(x₀)·cos(x₁) for {@code steps}; returns final MSE and weights. */
  private static Object[] train(long seed, int steps) {
    RandomStreams rs = new RandomStreams(seed);
    Sequential net = new Sequential(new Linear(2, 32, rs.init()), Activation.gelu(),
        new Linear(32, 32, rs.init()), Activation.gelu(), new Linear(32, 1, rs.init()));
    Adam adam = Adam.adamW(net, LearningRate.constant(3e-3f), 1e-4f, 1f);
    int batch = 64;
    double mse = Double.NaN;
    SplittableRandom data = rs.data();
    for (int s = 0; s < steps; s++) {
      float[] x = new float[batch * 2];
      float[] y = new float[batch];
      for (int i = 0; i < batch; i++) {
        x[2 * i] = (float) (3 * data.nextDouble() - 1.5);
        x[2 * i + 1] = (float) (3 * data.nextDouble() - 1.5);
        y[i] = (float) (Math.sin(x[2 * i]) * Math.cos(x[2 * i + 1]));
      }
      net.zeroGrad();
      Tensor err = Ops.sub(net.forward(Tensor.wrap(x, batch, 2)), Tensor.wrap(y, batch, 1));
      Tensor loss = Ops.mean(Ops.square(err));
      mse = loss.item();
      loss.backward();
      adam.update();
    }
    return new Object[] {mse, net.namedParameters().get("4.weight").data().clone()};
  }

  @Test
  void mlpRegressionLearnsAndIsReproducible() {
    Object[] a = train(2024, 400);
    double mse = (double) a[0];
    // Variance of the target over the box is ≈ 0.19; an untrained net sits near that.
    assertTrue(mse < 0.01, "MSE after 400 steps should be < 0.01, was " + mse);
    Object[] b = train(2024, 400);
    assertArrayEquals((float[]) a[1], (float[]) b[1], "same seed, same thread count: bitwise identical");
  }
}
