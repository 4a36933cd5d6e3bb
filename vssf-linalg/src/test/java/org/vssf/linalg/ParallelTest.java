package org.vssf.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The library pool: fixed partitioning, every index exactly once, errors surface, no nesting. */
class ParallelTest {
  @Test
  void chunksCoverTheRangeExactlyOnceWithFixedBounds() {
    for (int n : new int[] {1, 2, 3, 7, 100, 1021}) {
      for (int p = 1; p <= 5; p++) {
        int chunks = Parallel.chunkCount(n, p);
        assertEquals(Math.min(n, p), chunks);
        int[] hits = new int[n];
        int[] from = new int[chunks];
        int[] to = new int[chunks];
        Parallel.forEachChunk(n, p, (c, f, t) -> {
          from[c] = f;
          to[c] = t;
          for (int i = f; i < t; i++) {
            synchronized (hits) {
              hits[i]++;
            }
          }
        });
        for (int i = 0; i < n; i++) {
          assertEquals(1, hits[i], "n=" + n + " p=" + p + " index " + i);
        }
        for (int c = 0; c < chunks; c++) {
          assertEquals(Parallel.chunkStart(n, chunks, c), from[c]);
          assertEquals(Parallel.chunkStart(n, chunks, c + 1), to[c]);
        }
      }
    }
    Parallel.forEachChunk(0, 4, (c, f, t) -> {
      throw new AssertionError("no chunk for n = 0");
    });
  }

  @Test
  void chunkBoundsDoNotDependOnScheduling() {
    int[] first = bounds(1000, 3);
    for (int rep = 0; rep < 20; rep++) {
      assertArrayEquals(first, bounds(1000, 3));
    }
  }

  private static int[] bounds(int n, int p) {
    int[] b = new int[2 * p];
    Parallel.forEachChunk(n, p, (c, f, t) -> {
      b[2 * c] = f;
      b[2 * c + 1] = t;
    });
    return b;
  }

  @Test
  void exceptionsFromAnyChunkReachTheCaller() {
    IllegalStateException boom = new IllegalStateException("chunk 2 failed");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Parallel.forEachChunk(4, 4, (c, f, t) -> {
          if (c == 2) {
            throw boom;
          }
        }));
    assertSame(boom, e);
  }

  @Test
  void workersAreNamedDaemonsAndNestedCallsRunInline() {
    AtomicInteger nestedOnWorker = new AtomicInteger();
    Parallel.forEachChunk(2, 2, (c, f, t) -> {
      Thread me = Thread.currentThread();
      if (c == 1) {
        assertTrue(me.getName().startsWith("vssf-worker-"), me.getName());
        assertTrue(me.isDaemon());
        Parallel.forEachChunk(3, 3, (c2, f2, t2) -> {
          assertSame(me, Thread.currentThread(), "nested chunks must run on the same worker");
          nestedOnWorker.incrementAndGet();
        });
      }
    });
    assertEquals(3, nestedOnWorker.get());
  }

  @Test
  void nestedCallsFromEveryChunkCoverTheirRangeExactlyOnce() {
    for (int round = 0; round < 200; round++) {
      java.util.concurrent.atomic.AtomicIntegerArray hits = new java.util.concurrent.atomic.AtomicIntegerArray(4 * 50);
      Parallel.forEachChunk(4, 2, (outer, from, to) -> {
        for (int o = from; o < to; o++) {
          final int base = o * 50;
          Parallel.forEachChunk(50, 3, (inner, a, b) -> {
            for (int i = a; i < b; i++) {
              hits.incrementAndGet(base + i);
            }
          });
        }
      });
      for (int i = 0; i < hits.length(); i++) {
        assertEquals(1, hits.get(i), "index " + i + " in round " + round);
      }
    }
  }

  @Test
  void concurrentCallersEachGetEveryChunk() throws Exception {
    Thread[] callers = new Thread[3];
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    for (int c = 0; c < callers.length; c++) {
      callers[c] = new Thread(() -> {
        try {
          for (int round = 0; round < 300; round++) {
            long[] sums = new long[4];
            Parallel.forEachChunk(1000, 4, (chunk, from, to) -> {
              long s = 0;
              for (int i = from; i < to; i++) {
                s += i;
              }
              sums[chunk] = s;
            });
            assertEquals(999L * 1000 / 2, sums[0] + sums[1] + sums[2] + sums[3]);
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      callers[c].start();
    }
    for (Thread t : callers) {
      t.join();
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }

  @Test
  void badArgumentsAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Parallel.setDefaultParallelism(0));
    assertEquals("Parallel.setDefaultParallelism: 'parallelism' must be >= 1, got 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Parallel.forEachChunk(-1, 1, (c, f, t) -> { }));
    assertThrows(IllegalArgumentException.class, () -> Parallel.forEachChunk(5, 0, (c, f, t) -> { }));
  }
}
