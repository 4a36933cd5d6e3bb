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
        "quick: pendulum 32×32, ψ fixed, supervision partial, full and none, 4 000 steps (minutes).",
        "paper: pendulum, blocks and pillars, every supervision, ψ fixed and learned, 32×32, 40 000"
            + " steps (45–70 minutes per cell and thread).",
        "Both train the last quarter of the steps with batch norm frozen at its running statistics"
            + " (--frozen-norm; 0 gives the paper's training).",
        "Unsupervised cells check their latent's signs (--sign-check) and train on sequences of 20 frames"
            + " to pin their latent's frame (--unsupervised-length); with ψ fixed they centre their latent on the"
            + " prior (--centre); with ψ learned they bound ‖A‖₂ (--spectral-bound) and learn A and B at a tenth"
            + " of the rate (--dynamics-rate); the pillars' supervised cells hide their labels from the filter on"
            + " half the sequences (--label-dropout).",
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

  @Option(names = "--env", paramLabel = "LIST",
      description = "These environments, e.g. pendulum,blocks (default: the preset's).")
  String envs;

  @Option(names = "--psi", paramLabel = "LIST",
      description = "ψ fixed and/or learned, e.g. fixed,learned (default: the preset's).")
  String psi;

  @Option(names = "--spectral-bound", paramLabel = "R",
      description = "ψ-learned cells: keep ‖A‖₂ ≤ R, 0 = unbounded (beyond the paper; default: 1 for the"
          + " unsupervised cells, unbounded for the supervised).")
  Float spectralBound;

  @Option(names = "--dynamics-rate", paramLabel = "F",
      description = "ψ-learned cells: train A and B at F times the learning rate (beyond the paper; default: 0.1 for"
          + " the unsupervised cells, 1 for the supervised).")
  Float dynamicsRate;

  @Option(names = "--frozen-norm", paramLabel = "N",
      description = "Train the last N steps of each cell with batch norm on its running statistics, frozen"
          + " (beyond the paper; default: the last quarter of the steps; 0: off).")
  Integer frozenNorm;

  @Option(names = "--sign-check", paramLabel = "N",
      description = "Unsupervised cells: every N steps keep the model or a reflection of its latent (z -> -z, one"
          + " axis flipped, or axes the dynamics treat alike swapped), whichever has the better ELBO (beyond the"
          + " paper; default: 250; 0: off).")
  Integer signCheck;

  @Option(names = "--label-dropout", paramLabel = "P",
      description = "Supervised cells: hide the labels from the filter on a share P of the sequences (beyond the"
          + " paper; default: 0.5 for the pillars, 0 elsewhere).")
  Float labelDropout;

  @Option(names = "--unsupervised-length", paramLabel = "T",
      description = "Unsupervised cells: frames per training sequence, with as many"
          + " frames in all and per step (beyond the paper; default: 20; 5: the paper's).")
  Integer unsupervisedLength;

  @Option(names = "--centre", paramLabel = "N",
      description = "Unsupervised ψ-fixed cells: every N steps (and before the last) move the latent by the constant"
          + " that best fits the prior on z1 and the dynamics (beyond the paper; default: 1000; 0: off).")
  Integer centre;

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
    if (frozenNorm != null) {
      require(frozenNorm >= 0 && frozenNorm < p.steps - p.pretrain, "--frozen-norm must be in 0.."
          + (p.steps - p.pretrain - 1) + " (after the pre-training), got " + frozenNorm);
      p.frozenNormSteps = frozenNorm;
    }
    if (signCheck != null) {
      require(signCheck >= 0, "--sign-check must be at least 0, got " + signCheck);
      p.signCheckEvery = signCheck;
    }
    if (labelDropout != null) {
      require(labelDropout >= 0 && labelDropout < 1, "--label-dropout must be in [0, 1), got " + labelDropout);
      p.labelDropoutOverride = labelDropout;
    }
    if (unsupervisedLength != null) {
      require(unsupervisedLength >= 2, "--unsupervised-length must be at least 2, got " + unsupervisedLength);
      p.unsupervisedLengthOverride = unsupervisedLength;
    }
    if (centre != null) {
      require(centre >= 0, "--centre must be at least 0, got " + centre);
      p.centreEvery = centre;
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
    if (spectralBound != null) {
      require(spectralBound >= 0 && Float.isFinite(spectralBound), "--spectral-bound must be 0 or positive, got "
          + spectralBound);
      p.spectralBoundOverride = spectralBound;
    }
    if (dynamicsRate != null) {
      require(dynamicsRate > 0 && Float.isFinite(dynamicsRate), "--dynamics-rate must be positive, got "
          + dynamicsRate);
      p.dynamicsRateOverride = dynamicsRate;
    }
    java.util.Set<String> envSet = new java.util.LinkedHashSet<>();
    java.util.Set<String> dynSet = new java.util.LinkedHashSet<>();
    java.util.Set<String> supSet = new java.util.LinkedHashSet<>();
    for (Reproduction.Cell c : p.cells) {
      envSet.add(c.env);
      dynSet.add(c.dynamics);
      supSet.add(c.supervision);
    }
    java.util.List<String> envList = list(envs, envSet, "--env lists pendulum, blocks or pillars",
        "pendulum", "blocks", "pillars");
    java.util.List<String> dynList = list(psi, dynSet, "--psi lists fixed or learned", "fixed", "learned");
    java.util.List<String> supList = list(cells, supSet, "--cells lists none, partial or full", "none", "partial",
        "full");
    p.cells.clear();
    for (String e : envList) {
      for (String dyn : dynList) {
        for (String sup : supList) {
          p.cells.add(new Reproduction.Cell(e, sup, dyn));
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

  /** The comma-separated {@code given} (each one of {@code allowed}), or the preset's values. */
  private java.util.List<String> list(String given, java.util.Set<String> preset, String message,
      String... allowed) {
    if (given == null) {
      return new java.util.ArrayList<>(preset);
    }
    java.util.List<String> out = new java.util.ArrayList<>();
    for (String k : given.split(",")) {
      require(java.util.Arrays.asList(allowed).contains(k), message + ", got '" + k + "'");
      out.add(k);
    }
    return out;
  }

  private void require(boolean ok, String message) {
    if (!ok) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }
}
