package org.vssf.linalg;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The library's own worker pool (never the common pool) with fixed partitioning: {@code
 * forEachChunk(n, p, body)} splits {@code [0, n)} into {@code min(p, n)} contiguous chunks whose
 * bounds depend only on {@code n} and {@code p}, never on scheduling, so kernels that give each
 * output element to exactly one chunk (or reduce chunk partials in chunk order) are bitwise
 * reproducible for a given thread count.
 *
 * <p>Default parallelism is the number of available processors, overridable with the system
 * property {@code vssf.threads} or {@link #setDefaultParallelism(int)}; every parallel kernel also
 * has an overload taking the parallelism for that call. Calls made from inside a worker run their
 * chunks sequentially (no nested fan-out, no deadlock).
 */
public final class Parallel {
  /** Work for one chunk: the chunk index and its half-open range {@code [from, to)}. */
  @FunctionalInterface
  public interface ChunkBody {
    /** Processes chunk {@code chunk}, covering indices {@code [from, to)}. */
    void run(int chunk, int from, int to);
  }

  private static volatile int defaultParallelism = initialParallelism();
  private static volatile ForkJoinPool pool;

  private Parallel() {}

  private static int initialParallelism() {
    String prop = System.getProperty("vssf.threads");
    if (prop != null && !prop.isEmpty()) {
      try {
        int p = Integer.parseInt(prop.trim());
        if (p >= 1) {
          return p;
        }
      } catch (NumberFormatException ignored) {
        // fall through to the error below
      }
      throw new IllegalArgumentException("vssf.threads must be a positive integer, got '" + prop + "'");
    }
    return Runtime.getRuntime().availableProcessors();
  }

  /** The parallelism used by kernels called without an explicit thread count. */
  public static int defaultParallelism() {
    return defaultParallelism;
  }

  /** Sets the parallelism used by kernels called without an explicit thread count (≥ 1). */
  public static void setDefaultParallelism(int parallelism) {
    Checks.positive("Parallel.setDefaultParallelism", "parallelism", parallelism);
    defaultParallelism = parallelism;
  }

  /** Start index of chunk {@code c} of {@code chunks} over {@code [0, n)}: {@code ⌊c·n/chunks⌋}. */
  public static int chunkStart(int n, int chunks, int c) {
    return (int) ((long) c * n / chunks);
  }

  /** Number of chunks {@link #forEachChunk} uses for {@code n} items at this parallelism. */
  public static int chunkCount(int n, int parallelism) {
    return Math.max(1, Math.min(n, parallelism));
  }

  /**
   * Runs {@code body} over {@code chunkCount(n, parallelism)} fixed contiguous chunks of {@code [0,
   * n)}; chunk 0 runs on the calling thread. Returns when all chunks are done; the first exception
   * thrown by any chunk is rethrown (unchecked exceptions as they are).
   */
  public static void forEachChunk(int n, int parallelism, ChunkBody body) {
    Checks.nonNegative("Parallel.forEachChunk", "n", n);
    Checks.positive("Parallel.forEachChunk", "parallelism", parallelism);
    if (n == 0) {
      return;
    }
    int chunks = chunkCount(n, parallelism);
    if (chunks == 1 || Thread.currentThread() instanceof Worker) {
      for (int c = 0; c < chunks; c++) {
        body.run(c, chunkStart(n, chunks, c), chunkStart(n, chunks, c + 1));
      }
      return;
    }
    ForkJoinPool p = pool();
    // Each chunk records its own failure, so the caller gets the original exception object (a
    // ForkJoinTask.join would rethrow a reconstructed copy), and the lowest failing chunk wins.
    Throwable[] failures = new Throwable[chunks];
    ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks];
    for (int c = 1; c < chunks; c++) {
      final int chunk = c;
      final int from = chunkStart(n, chunks, c);
      final int to = chunkStart(n, chunks, c + 1);
      tasks[c] = p.submit(() -> runChunk(body, chunk, from, to, failures));
    }
    runChunk(body, 0, 0, chunkStart(n, chunks, 1), failures);
    for (int c = 1; c < chunks; c++) {
      tasks[c].join();
    }
    for (Throwable t : failures) {
      if (t instanceof RuntimeException) {
        throw (RuntimeException) t;
      }
      if (t instanceof Error) {
        throw (Error) t;
      }
    }
  }

  private static void runChunk(ChunkBody body, int chunk, int from, int to, Throwable[] failures) {
    try {
      body.run(chunk, from, to);
    } catch (RuntimeException | Error e) {
      failures[chunk] = e;
    }
  }

  private static ForkJoinPool pool() {
    ForkJoinPool p = pool;
    if (p == null) {
      synchronized (Parallel.class) {
        p = pool;
        if (p == null) {
          int size = Math.max(1, Math.max(defaultParallelism, Runtime.getRuntime().availableProcessors()) - 1);
          AtomicInteger ids = new AtomicInteger();
          p = new ForkJoinPool(size, fjp -> new Worker(fjp, ids.incrementAndGet()), null, false);
          pool = p;
        }
      }
    }
    return p;
  }

  /** Daemon worker threads named {@code vssf-worker-N}, so the pool never keeps a JVM alive. */
  private static final class Worker extends ForkJoinWorkerThread {
    Worker(ForkJoinPool pool, int id) {
      super(pool);
      setName("vssf-worker-" + id);
      setDaemon(true);
    }
  }
}
