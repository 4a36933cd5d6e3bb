package org.vssf.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * In a no-grad scope an op allocates its output tensor and value array and nothing else (no node,
 * no index maps, no shape copy for same-shape ops). Counted with the per-thread allocation counter.
 */
class NoGradAllocationTest {
  @Test
  void noGradOpsAllocateOnlyTheirOutput() {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
    Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
    Tensor b = Tensor.of(new float[] {0.5f, 1, 2, 0.1f}, 2, 2).requiresGrad(true);
    int ops = 3000;
    long thread = Thread.currentThread().getId();
    try (Tape.NoGrad ng = Tape.noGrad()) {
      Tensor x = a;
      for (int i = 0; i < 30; i++) { // warm-up: class loading, thread-local tape
        x = Ops.tanh(Ops.add(Ops.mul(x, b), b));
      }
      long before = mx.getThreadAllocatedBytes(thread);
      x = a;
      for (int i = 0; i < ops; i += 3) {
        x = Ops.tanh(Ops.add(Ops.mul(x, b), b));
      }
      long perOp = (mx.getThreadAllocatedBytes(thread) - before) / ops;
      // One Tensor object (~32 B) plus a float[4] (~32 B); a node or index maps would add 50+ B.
      assertTrue(perOp <= 72, "no-grad op allocated " + perOp + " B, more than its output");
      assertTrue(x.size() == 4);
    }
  }
}
