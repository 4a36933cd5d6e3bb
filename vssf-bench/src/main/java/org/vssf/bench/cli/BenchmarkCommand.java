package org.vssf.bench.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vssf.bench.app.TrainStepTimer;
import org.vssf.linalg.Parallel;
import org.vssf.nn.io.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vssf benchmark}: timings that help size a run (the JMH suite has the rest). */
@Command(name = "benchmark", mixinStandardHelpOptions = true, versionProvider = Vssf.Version.class,
    synopsisSubcommandLabel = "WHAT", description = "Time parts of the library on this machine.",
    subcommands = {BenchmarkCommand.TrainStep.class})
final class BenchmarkCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing what to benchmark (train-step)");
  }

  /** {@code vssf benchmark train-step}. */
  @Command(name = "train-step", mixinStandardHelpOptions = true, sortOptions = false,
      versionProvider = Vssf.Version.class,
      description = {"Median time of one training step (encoder, decoder, filter + sampler, ELBO,"
          + " backward, AdamW) on synthetic images, T = 5, m = 2, after a warm-up."},
      footer = {"", "Example:", "  vssf benchmark train-step --size 64 --nf 32 --batch 16 --json"})
  static final class TrainStep implements Callable<Integer> {
    @Option(names = "--size", defaultValue = "32", paramLabel = "PX", description = "Image size (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--nf", defaultValue = "16", paramLabel = "N", description = "Network width (default: ${DEFAULT-VALUE}).")
    int nf;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "B", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--samples", defaultValue = "64", paramLabel = "S", description = "Backward samples (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--threads", paramLabel = "K", description = "Worker threads (default: the number of processors).")
    Integer threads;

    @Option(names = "--warmup", defaultValue = "10", paramLabel = "N", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--steps", defaultValue = "10", paramLabel = "N", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      require(size >= 16 && size <= 256 && Integer.bitCount(size) == 1, "--size must be a power of two in 16..256, got " + size);
      require(nf >= 1, "--nf must be at least 1, got " + nf);
      require(batch >= 1, "--batch must be at least 1, got " + batch);
      require(samples >= 1, "--samples must be at least 1, got " + samples);
      require(warmup >= 0, "--warmup must not be negative, got " + warmup);
      require(steps >= 1, "--steps must be at least 1, got " + steps);
      CliChecks.threads(spec, threads);
      TrainStepTimer.Settings s = new TrainStepTimer.Settings();
      s.size = size;
      s.nf = nf;
      s.batch = batch;
      s.samples = samples;
      s.threads = Parallel.defaultParallelism();
      s.warmup = warmup;
      s.steps = steps;
      Map<String, Object> r = TrainStepTimer.measure(s);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.write(r));
      } else {
        out.printf(Locale.ROOT, "train step %dx%d nf=%d batch=%d S=%d threads=%d: median %.1f ms (min %.1f, max %.1f)"
            + " over %d steps%n", size, size, nf, batch, samples, s.threads, (Double) r.get("median_ms"),
            (Double) r.get("min_ms"), (Double) r.get("max_ms"), steps);
      }
      out.flush();
      return 0;
    }

    private void require(boolean ok, String message) {
      if (!ok) {
        throw new ParameterException(spec.commandLine(), message);
      }
    }
  }
}
