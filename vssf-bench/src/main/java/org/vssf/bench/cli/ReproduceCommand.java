package org.vssf.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vssf.bench.app.Reproduction;
import org.vssf.linalg.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vssf reproduce}: the paper's Table 1 as a grid of runs. */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = Vssf.Version.class,
    description = {"Generate data, train and evaluate the grid of a preset; write DIR/table.json and"
        + " DIR/report.md with the paper's MSE beside ours.",
        "quick: pendulum 32×32, ψ fixed, supervision partial and full (add none with --cells"
            + " partial,full,none).",
        "paper: pendulum, blocks and pillars at 64×64, every supervision, ψ fixed and learned (hours).",
        "Resumable: run the same command again to continue after an interruption."},
    footer = {"", "Example:", "  vssf reproduce --preset quick --out results/quick"})
final class ReproduceCommand implements Callable<Integer> {
  @Option(names = "--preset", defaultValue = "quick", paramLabel = "NAME",
      description = "quick or paper (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
  Path out;

  @Option(names = "--steps", paramLabel = "N", description = "Override the preset's training steps per cell.")
  Integer steps;

  @Option(names = "--train", paramLabel = "N", description = "Override the preset's training sequences.")
  Integer train;

  @Option(names = "--eval", paramLabel = "N", description = "Override the preset's evaluation trajectories.")
  Integer eval;

  @Option(names = "--eval-length", paramLabel = "T'", description = "Override the evaluation length (200).")
  Integer evalLength;

  @Option(names = "--batch", paramLabel = "B", description = "Override the preset's batch size.")
  Integer batch;

  @Option(names = "--samples", paramLabel = "S", description = "Override the preset's backward samples.")
  Integer samples;

  @Option(names = "--cells", paramLabel = "LIST",
      description = "These supervisions, e.g. partial,full,none (default: the preset's).")
  String cells;

  @Option(names = "--seed", paramLabel = "S", description = "Override the seed (default 1).")
  Long seed;

  @Option(names = "--threads", paramLabel = "K", description = "Worker threads (default: the number of processors).")
  Integer threads;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    CliChecks.threads(spec, threads);
    Reproduction.Preset p;
    try {
      p = Reproduction.preset(preset);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (steps != null) {
      require(steps >= 2, "--steps must be at least 2, got " + steps);
      p.steps = steps;
      p.pretrain = Math.min(p.pretrain, steps / 2);
    }
    if (train != null) {
      require(train >= 1, "--train must be at least 1, got " + train);
      p.train = train;
    }
    if (eval != null) {
      require(eval >= 1, "--eval must be at least 1, got " + eval);
      p.eval = eval;
    }
    if (evalLength != null) {
      require(evalLength >= 2, "--eval-length must be at least 2, got " + evalLength);
      p.evalLength = evalLength;
    }
    if (batch != null) {
      require(batch >= 1, "--batch must be at least 1, got " + batch);
      p.batch = batch;
    }
    if (samples != null) {
      require(samples >= 1, "--samples must be at least 1, got " + samples);
      p.samples = samples;
    }
    if (seed != null) {
      p.seed = seed;
    }
    if (cells != null) {
      java.util.List<String> keep = java.util.Arrays.asList(cells.split(","));
      for (String k : keep) {
        require(k.equals("none") || k.equals("partial") || k.equals("full"),
            "--cells lists none, partial or full, got '" + k + "'");
      }
      java.util.Set<String> envs = new java.util.LinkedHashSet<>();
      java.util.Set<String> dyns = new java.util.LinkedHashSet<>();
      for (Reproduction.Cell c : p.cells) {
        envs.add(c.env);
        dyns.add(c.dynamics);
      }
      p.cells.clear();
      for (String e : envs) {
        for (String dyn : dyns) {
          for (String sup : keep) {
            p.cells.add(new Reproduction.Cell(e, sup, dyn));
          }
        }
      }
    }
    PrintWriter log = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    Reproduction.run(p, out, Parallel.defaultParallelism(), log);
    log.printf("wrote %s and %s in %s%n", out.resolve("table.json"), out.resolve("report.md"),
        org.vssf.bench.app.Runs.clockOf((System.nanoTime() - t0) / 1e9));
    log.print(java.nio.file.Files.readString(out.resolve("report.md")));
    log.flush();
    return 0;
  }

  private void require(boolean ok, String message) {
    if (!ok) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }
}
