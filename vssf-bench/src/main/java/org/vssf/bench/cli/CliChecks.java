package org.vssf.bench.cli;

import org.vssf.linalg.Parallel;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Option checks shared by the commands. */
final class CliChecks {
  private CliChecks() {}

  /** Validates {@code --threads} and sets the library's parallelism when given. */
  static void threads(CommandSpec spec, Integer threads) {
    if (threads == null) {
      return;
    }
    if (threads < 1 || threads > 1024) {
      throw new ParameterException(spec.commandLine(), "--threads must be between 1 and 1024, got " + threads);
    }
    Parallel.setDefaultParallelism(threads);
  }
}
