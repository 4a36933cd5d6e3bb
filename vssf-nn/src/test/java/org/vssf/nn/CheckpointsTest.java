package org.vssf.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vssf.autodiff.Ops;
import org.vssf.autodiff.Tape;
import org.vssf.autodiff.Tensor;

/** Save → load gives identical outputs; resume continues bitwise; mismatches are all reported. */
class CheckpointsTest {
  @TempDir
  Path dir;

  private static Sequential net(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    return Dcgan.encoder(16, 4, 8, 2, r);
  }

  private static Tensor images(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[6 * 3 * 16 * 16];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (2 * r.nextDouble() - 1);
    }
    return Tensor.wrap(x, 6, 3, 16, 16);
  }

  private static void trainSteps(Sequential model, Adam adam, int from, int to) {
    for (int s = from; s < to; s++) {
      model.zeroGrad();
      Ops.sum(Ops.square(model.forward(images(s)))).backward();
      adam.update();
    }
  }

  @Test
  void saveThenLoadGivesIdenticalOutputsAndBuffers() throws Exception {
    Sequential a = net(1);
    Adam adam = Adam.adamW(a, LearningRate.constant(1e-3f), 1e-4f, 0f);
    trainSteps(a, adam, 0, 3); // moves weights and batch-norm running averages
    Path file = dir.resolve("model.safetensors");
    Checkpoints.save(file, a, null, Map.of("env", "test"));
    Sequential b = net(2); // different initial weights
    Map<String, String> meta = Checkpoints.load(file, b, null);
    assertEquals("test", meta.get("env"));
    assertEquals(Checkpoints.FORMAT, meta.get(Checkpoints.FORMAT_KEY));
    for (boolean training : new boolean[] {false, true}) {
      a.train(training);
      b.train(training);
      try (Tape.Scope ng = Tape.noGrad()) {
        assertArrayEquals(a.forward(images(9)).data(), b.forward(images(9)).data(), "training=" + training);
      }
    }
    assertArrayEquals(a.namedBuffers().get("block1.1.var_hidden").data(),
        b.namedBuffers().get("block1.1.var_hidden").data());
  }

  @Test
  void resumeFromCheckpointIsBitwiseIdentical() throws Exception {
    Sequential straight = net(3);
    Adam adamS = Adam.adamW(straight, LearningRate.constant(1e-3f), 1e-4f, 1f);
    trainSteps(straight, adamS, 0, 6);

    Sequential first = net(3);
    Adam adamF = Adam.adamW(first, LearningRate.constant(1e-3f), 1e-4f, 1f);
    trainSteps(first, adamF, 0, 3);
    Path file = dir.resolve("ckpt.safetensors");
    Checkpoints.save(file, first, adamF, null);

    Sequential resumed = net(4);
    Adam adamR = Adam.adamW(resumed, LearningRate.constant(1e-3f), 1e-4f, 1f);
    Checkpoints.load(file, resumed, adamR);
    assertEquals(3, adamR.step());
    trainSteps(resumed, adamR, 3, 6);
    for (Map.Entry<String, Tensor> e : straight.namedParameters().entrySet()) {
      assertArrayEquals(e.getValue().data(), resumed.namedParameters().get(e.getKey()).data(), e.getKey());
    }
  }

  @Test
  void everyMismatchIsReportedAndNothingIsTouched() throws Exception {
    Path file = dir.resolve("small.safetensors");
    Checkpoints.save(file, net(5), null, null);
    Sequential wider = Dcgan.encoder(16, 8, 8, 2, new SplittableRandom(6)); // nf 8 instead of 4
    float[] before = wider.namedParameters().get("block1.0.weight").data().clone();
    ModelMismatchException e = assertThrows(ModelMismatchException.class,
        () -> Checkpoints.load(file, wider, null));
    List<String> p = e.problems();
    assertTrue(p.contains("block1.0.weight has shape [4, 3, 4, 4], the model expects [8, 3, 4, 4]"), p.toString());
    assertTrue(p.size() > 5, "every mismatching tensor is listed: " + p);
    assertArrayEquals(before, wider.namedParameters().get("block1.0.weight").data(), "model untouched");

    Sequential withExtra = new Sequential().add("encoder", net(5));
    e = assertThrows(ModelMismatchException.class, () -> Checkpoints.load(file, withExtra, null));
    assertTrue(e.problems().contains("missing encoder.block1.0.weight"), e.problems().toString());
    assertTrue(e.problems().contains("unexpected block1.0.weight"), e.problems().toString());

    Sequential same = net(7);
    Adam adam = Adam.adamW(same, LearningRate.constant(1e-3f), 0f, 0f);
    e = assertThrows(ModelMismatchException.class, () -> Checkpoints.load(file, same, adam));
    assertTrue(e.problems().contains("no optimizer state (metadata optimizer.step missing)"), e.problems().toString());
    assertThrows(IllegalArgumentException.class,
        () -> Checkpoints.save(file, same, null, Map.of(Checkpoints.STEP_KEY, "1")));
  }
}
