package org.vssf.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.vssf.bench.data.DataSetGenerator;
import org.vssf.bench.env.Dynamics;
import org.vssf.bench.env.Environment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vssf generate}: simulate an environment and write a data set ({@link DataSetGenerator}). */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = Vssf.Version.class,
    description = {
        "Simulate an environment and write a data set: DIR/train, DIR/test and DIR/eval, each"
            + " with images.npy, states.npy, controls.npy and dataset.json"
            + " (docs/data-format.md).",
        "The output depends only on the options, not on --threads."},
    footer = {"", "Example:", "  vssf generate --env pendulum --out data/pendulum"})
final class GenerateCommand implements Callable<Integer> {
  @Option(names = "--env", required = true, paramLabel = "ENV",
      converter = EnvironmentConverter.class, completionCandidates = EnvironmentNames.class,
      description = "Environment: pendulum, blocks or pillars.")
  Environment env;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Output directory; must not exist or be empty.")
  Path out;

  @Option(names = "--size", defaultValue = "32", paramLabel = "PX",
      description = "Image height and width in pixels (default: ${DEFAULT-VALUE}; the paper: 64).")
  int size;

  @Option(names = "--train", defaultValue = "10000", paramLabel = "N",
      description = "Training sequences (default: ${DEFAULT-VALUE}).")
  int train;

  @Option(names = "--test", defaultValue = "1000", paramLabel = "N",
      description = "Test sequences (default: ${DEFAULT-VALUE}).")
  int test;

  @Option(names = "--length", defaultValue = "5", paramLabel = "T",
      description = "Frames per training and test sequence (default: ${DEFAULT-VALUE}).")
  int length;

  @Option(names = "--eval", defaultValue = "20", paramLabel = "N",
      description = "Evaluation trajectories (default: ${DEFAULT-VALUE}).")
  int eval;

  @Option(names = "--eval-length", defaultValue = "200", paramLabel = "T'",
      description = "Frames per evaluation trajectory (default: ${DEFAULT-VALUE}).")
  int evalLength;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "S",
      description = "Seed of the simulated trajectories (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--scene-seed", defaultValue = "" + Environment.DEFAULT_SCENE_SEED,
      paramLabel = "S", description = "Seed of the blocks/pillars scene layout"
      + " (default: ${DEFAULT-VALUE}).")
  long sceneSeed;

  @Option(names = "--dynamics", paramLabel = "FILE.json",
      description = "Override A, B, K, control_noise, process_noise and/or prior"
          + " (docs/data-format.md); the prior defaults to the stationary covariance.")
  Path dynamicsFile;

  @Option(names = "--threads", paramLabel = "K",
      description = "Worker threads (default: the number of processors).")
  Integer threads;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    require(size >= 8 && size <= 1024, "--size must be between 8 and 1024, got " + size);
    require(train >= 1, "--train must be at least 1, got " + train);
    require(test >= 0, "--test must not be negative, got " + test);
    require(eval >= 0, "--eval must not be negative, got " + eval);
    require(length >= 2, "--length must be at least 2, got " + length);
    require(evalLength >= 2, "--eval-length must be at least 2, got " + evalLength);
    int k = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    require(k >= 1 && k <= 1024, "--threads must be between 1 and 1024, got " + k);
    DataSetGenerator.checkOutput(out);
    Dynamics dynamics = env.defaultDynamics();
    if (dynamicsFile != null) {
      dynamics = Dynamics.load(dynamicsFile, dynamics);
    }
    DataSetGenerator.Config config = new DataSetGenerator.Config(env, dynamics, size, seed,
        sceneSeed, train, test, length, eval, evalLength, k);
    PrintWriter log = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    DataSetGenerator.generate(config, out, log);
    log.printf("wrote %s (%s, seed %d) in %.1f s%n", out, env.id(), seed,
        (System.nanoTime() - t0) / 1e9);
    log.flush();
    return 0;
  }

  private void require(boolean ok, String message) {
    if (!ok) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }

  /** {@code pendulum|blocks|pillars}, case-insensitive. */
  static final class EnvironmentConverter implements CommandLine.ITypeConverter<Environment> {
    @Override
    public Environment convert(String value) {
      try {
        return Environment.of(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** Names shown for completion. */
  static final class EnvironmentNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return List.of("pendulum", "blocks", "pillars").iterator();
    }
  }
}
