package org.vssf.bench.data;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.vssf.bench.env.Dynamics;
import org.vssf.bench.env.Environment;
import org.vssf.bench.env.Renderer;
import org.vssf.nn.io.AtomicFiles;

/**
 * Generates a data set collection: {@code train/}, {@code test/} and {@code eval/} data-set
 * directories ({@link DataSet}) of trajectories simulated by {@link Dynamics#simulate} and
 * rendered by the environment's {@link Renderer}.
 *
 * <p>Sequence i of split s draws from its own stream {@code new SplittableRandom(streamSeed(seed,
 * s, i))}, and is rendered from its float32 states, so every byte of the output depends only on
 * the configuration, never on the thread count or scheduling. Sequences are simulated and
 * rendered in parallel in chunks and written in order, streaming: the images of a split are never
 * all in memory. Everything is written into a temporary directory next to the output, which is
 * renamed into place at the end, so the output directory appears complete or not at all.
 */
public final class DataSetGenerator {
  /** The splits of a generated collection, in stream order. */
  public enum Split {
    /** Training sequences (length T). */
    TRAIN,
    /** Test sequences (length T). */
    TEST,
    /** Long evaluation trajectories (length T'). */
    EVAL;

    /** Directory name, e.g. {@code train}. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * What to generate.
   *
   * @param environment the renderer and default dynamics
   * @param dynamics the dynamics actually used
   * @param size image height and width
   * @param seed data seed
   * @param sceneSeed scene layout seed (ignored by the pendulum)
   * @param train training sequences
   * @param test test sequences
   * @param length T of train and test sequences
   * @param eval evaluation trajectories
   * @param evalLength T' of evaluation trajectories
   * @param threads worker threads (≥ 1); does not change the output
   */
  public record Config(Environment environment, Dynamics dynamics, int size, long seed,
      long sceneSeed, int train, int test, int length, int eval, int evalLength, int threads) {
    /** Checks ranges and that the dynamics' state dimension suits the environment. */
    public Config {
      if (dynamics.stateDim() != environment.stateDim()) {
        throw new IllegalArgumentException(environment.id() + " needs dynamics with m = "
            + environment.stateDim() + " states, got m = " + dynamics.stateDim());
      }
      if (train < 0 || test < 0 || eval < 0 || length < 1 || evalLength < 1 || size < 4
          || threads < 1) {
        throw new IllegalArgumentException("invalid generator configuration " + this);
      }
    }

    int count(Split s) {
      return s == Split.TRAIN ? train : s == Split.TEST ? test : eval;
    }

    int length(Split s) {
      return s == Split.EVAL ? evalLength : length;
    }
  }

  private static final long CHUNK_BYTES = 4L << 20;

  private DataSetGenerator() {}

  /**
   * The seed of the random stream of sequence {@code index} of split {@code split}: SplitMix64
   * finalisers over the data seed, split and index.
   */
  public static long streamSeed(long seed, int split, long index) {
    long h = mix64(seed ^ mix64(0x9E3779B97F4A7C15L * (split + 1)));
    return mix64(h + mix64(index * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L));
  }

  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Checks that {@code out} can receive a collection: it must not exist, or be an empty
   * directory.
   *
   * @throws IOException with a one-line explanation otherwise
   */
  public static void checkOutput(Path out) throws IOException {
    if (Files.exists(out)) {
      if (!Files.isDirectory(out)) {
        throw new IOException("output " + out + " exists and is not a directory");
      }
      if (!isEmptyDirectory(out)) {
        throw new IOException("output directory " + out + " is not empty (choose a new one)");
      }
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      return !s.iterator().hasNext();
    }
  }

  /**
   * Generates the collection into {@code out} (which must not exist or be empty; parents are
   * created), logging one line per split to {@code log} (may be null).
   */
  public static void generate(Config config, Path out, PrintWriter log) throws IOException {
    checkOutput(out);
    Path abs = out.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    if (parent == null || abs.getFileName() == null) {
      throw new IOException("output " + out + " has no parent directory");
    }
    Path tmp = parent.resolve("." + abs.getFileName() + "."
        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    try {
      Files.createDirectories(parent);
      Files.createDirectory(tmp);
    } catch (IOException e) {
      throw new IOException("cannot create the output directory " + out + " ("
          + reason(e, parent) + ")", e);
    }
    // an interrupted run (Ctrl-C) leaves no half-written temporary directory behind
    Thread cleanup = new Thread(() -> deleteRecursively(tmp), "vssf-generate-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    boolean done = false;
    ExecutorService pool = Executors.newFixedThreadPool(config.threads(), r -> {
      Thread t = new Thread(r, "vssf-generate");
      t.setDaemon(true);
      return t;
    });
    try {
      Renderer renderer = config.environment().renderer(config.size(), config.sceneSeed());
      for (Split s : Split.values()) {
        long t0 = System.nanoTime();
        Path dir = tmp.resolve(s.id());
        Files.createDirectory(dir);
        writeSplit(config, renderer, s, dir, pool);
        if (log != null) {
          log.printf(Locale.ROOT, "%-5s %6d sequences x %3d frames of %dx%d in %.1f s%n", s.id(),
              config.count(s), config.length(s), config.size(), config.size(),
              (System.nanoTime() - t0) / 1e9);
          log.flush();
        }
      }
      moveIntoPlace(tmp, abs);
      done = true;
    } finally {
      pool.shutdownNow();
      if (!done) {
        deleteRecursively(tmp);
      }
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or about to: nothing to undo
      }
    }
  }

  private static String reason(IOException e, Path parent) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "cannot create entries in " + parent;
    }
    if (e instanceof FileAlreadyExistsException) {
      return ((FileSystemException) e).getFile() + " is not a directory";
    }
    if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
      return ((FileSystemException) e).getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static void moveIntoPlace(Path tmp, Path out) throws IOException {
    try {
      Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException firstTry) {
      // some platforms do not rename over an empty directory: remove it and try once more
      if (Files.isDirectory(out) && isEmptyDirectory(out)) {
        Files.delete(out);
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
      } else {
        throw firstTry;
      }
    }
  }

  private static void deleteRecursively(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
          Files.deleteIfExists(f);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.deleteIfExists(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException | RuntimeException cleanup) {
      // best effort: the original failure is what matters; the name ends in .tmp
    }
  }

  /** Simulates, renders and writes one split into {@code dir}. */
  static void writeSplit(Config config, Renderer renderer, Split split, Path dir,
      ExecutorService pool) throws IOException {
    Dynamics dyn = config.dynamics();
    int n = config.count(split);
    int t = config.length(split);
    int m = dyn.stateDim();
    int p = dyn.controlDim();
    int size = config.size();
    int seqBytes;
    float[] states;
    float[] controls;
    try {
      seqBytes = Math.multiplyExact(t, renderer.frameBytes());
      states = new float[Math.multiplyExact(n, Math.multiplyExact(t, m))];
      controls = new float[Math.multiplyExact(n, Math.multiplyExact(t - 1, p))];
    } catch (ArithmeticException tooBig) {
      throw new IllegalArgumentException(split.id() + ": " + n + " sequences of length " + t
          + " are too many for one split");
    }
    int chunk = (int) Math.max(1, Math.min(256, CHUNK_BYTES / seqBytes));
    int window = 2 * config.threads();
    AtomicFiles.write(dir.resolve(DataSet.IMAGES), out -> {
      out.write(NpyHeader.of(NpyDtype.UINT8, n, t, size, size, 3).encode());
      ArrayDeque<Future<byte[]>> pending = new ArrayDeque<>();
      int next = 0;
      while (next < n || !pending.isEmpty()) {
        while (next < n && pending.size() < window) {
          int first = next;
          int count = Math.min(chunk, n - first);
          pending.add(pool.submit(() -> simulateAndRender(config, renderer, split, first, count,
              t, seqBytes, states, controls)));
          next += count;
        }
        out.write(await(pending.poll()));
      }
    });
    Npy.write(dir.resolve(DataSet.STATES), states, n, t, m);
    Npy.write(dir.resolve(DataSet.CONTROLS), controls, n, t - 1, p);
    new DataSetInfo(config.environment().id(), split.id(), n, t, size, size, m, p, config.seed(),
        config.environment().hasScene() ? config.sceneSeed() : null, dyn, null).write(dir);
  }

  private static byte[] simulateAndRender(Config config, Renderer renderer, Split split,
      int first, int count, int t, int seqBytes, float[] states, float[] controls) {
    Dynamics dyn = config.dynamics();
    int m = dyn.stateDim();
    int p = dyn.controlDim();
    byte[] images = new byte[count * seqBytes];
    int frame = renderer.frameBytes();
    for (int k = 0; k < count; k++) {
      int i = first + k;
      SplittableRandom rng = new SplittableRandom(streamSeed(config.seed(), split.ordinal(), i));
      int sOff = i * t * m;
      dyn.simulate(rng, t, states, sOff, controls, i * (t - 1) * p);
      for (int step = 0; step < t; step++) {
        renderer.render(states, sOff + step * m, images, k * seqBytes + step * frame);
      }
    }
    return images;
  }

  private static byte[] await(Future<byte[]> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while generating", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException) {
        throw (RuntimeException) c;
      }
      if (c instanceof Error) {
        throw (Error) c;
      }
      throw new IOException(c);
    }
  }
}
