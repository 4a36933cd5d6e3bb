package org.vssf.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;

/** Bytes allocated by the current thread, from the JVM's per-thread counter (HotSpot). */
public final class Allocations {
  private Allocations() {}

  /**
   * Bytes this thread allocates while running {@code body}; skips the test (assumption) on a JVM
   * without a per-thread allocation counter.
   */
  public static long bytesAllocatedBy(Runnable body) {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(),
        "per-thread allocation counting disabled");
    long thread = Thread.currentThread().getId();
    long before = mx.getThreadAllocatedBytes(thread);
    body.run();
    return mx.getThreadAllocatedBytes(thread) - before;
  }

  /**
   * The smallest of up to {@code attempts} measurements of {@link #bytesAllocatedBy} (stops at the
   * first 0). Code that allocates per call shows it in every attempt; a one-off JVM event during
   * a measurement (lazy constant resolution, deoptimisation) does not fail the test.
   */
  public static long minBytesAllocatedBy(Runnable body, int attempts) {
    long min = Long.MAX_VALUE;
    for (int i = 0; i < attempts && min > 0; i++) {
      min = Math.min(min, bytesAllocatedBy(body));
    }
    return min;
  }
}
