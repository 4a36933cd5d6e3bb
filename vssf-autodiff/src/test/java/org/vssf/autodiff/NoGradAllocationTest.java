package org.vssf.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;
import org.junit.jupiter.api.Test;
import org.vssf.testing.Allocations;

/**
 * In a no-grad scope an op allocates its output tensor and value array and nothing else (no node,
 * no index maps, no shape copy for same-shape ops). Counted with the per-thread allocation counter.
 */
class NoGradAllocationTest {
  @Test
  void noGradOpsAllocateOnlyTheirOutput() {
    Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
    Tensor b = Tensor.of(new float[] {0.5f, 1, 2, 0.1f}, 2, 2).requiresGrad(true);
    int ops = 3000;
    try (Tape.Scope ng = Tape.noGrad()) {
      Tensor[] x = {a};
      for (int i = 0; i < 30; i++) { // warm-up: class loading, thread-local tape
        x[0] = Ops.tanh(Ops.add(Ops.mul(x[0], b), b));
      }
      long perOp = Allocations.minBytesAllocatedBy(() -> {
        for (int i = 0; i < ops; i += 3) {
          x[0] = Ops.tanh(Ops.add(Ops.mul(x[0], b), b));
        }
      }, 3) / ops;
      // One Tensor object (~40 B) plus a float[4] (32 B); a node or index maps would add 50+ B.
      assertTrue(perOp <= 72, "no-grad op allocated " + perOp + " B, more than its output");
    }
  }
}
