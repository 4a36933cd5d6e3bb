package org.vssf.bench.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code vssf} command line: one top-level command whose subcommands do the work ({@code
 * generate}, {@code train}, {@code evaluate}, {@code filter}, {@code reproduce}, {@code
 * diagnose} and {@code benchmark}). Exit codes: 0 success, 1 failure (bad input data, I/O), 2
 * usage error. A failure prints one line to stderr ({@code vssf generate: <problem>}); {@code
 * --verbose} adds the stack trace.
 */
@Command(name = "vssf", mixinStandardHelpOptions = true, versionProvider = Vssf.Version.class,
    synopsisSubcommandLabel = "COMMAND",
    description = "VSSF-J: learn Variational State-Space Filters from pixels.",
    subcommands = {GenerateCommand.class, TrainCommand.class, EvaluateCommand.class, FilterCommand.class,
        ReproduceCommand.class, DiagnoseCommand.class, BenchmarkCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Run 'vssf COMMAND --help' for the options of a command."})
public final class Vssf implements Callable<Integer> {
  /** Exit code of a failed command (bad data, I/O). */
  public static final int EXIT_FAILURE = 1;
  /** Exit code of a usage error (bad or missing options). */
  public static final int EXIT_USAGE = 2;

  @Option(names = "--verbose", scope = ScopeType.INHERIT,
      description = "On failure, print the stack trace as well.")
  boolean verbose;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command, e.g. generate");
  }

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true))
        .execute(args));
  }

  /**
   * The configured command line, printing normal output to {@code out} and errors to {@code
   * err}; {@code execute(args)} returns the exit code.
   */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Vssf());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine cmd = ex.getCommandLine();
      String name = cmd.getCommandSpec().qualifiedName();
      String message = ex.getMessage();
      if (ex instanceof UnmatchedArgumentException && !cmd.getSubcommands().isEmpty()) {
        List<String> unmatched = ((UnmatchedArgumentException) ex).getUnmatched();
        if (!unmatched.isEmpty() && !unmatched.get(0).startsWith("-")) {
          message = "unknown command '" + unmatched.get(0) + "'";
        }
      }
      cmd.getErr().println(name + ": " + oneLine(message) + " (see '" + name + " --help')");
      cmd.getErr().flush();
      return EXIT_USAGE;
    });
    cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
      PrintWriter e = cmd.getErr();
      e.println(cmd.getCommandSpec().qualifiedName() + ": " + describe(ex));
      if (verbose(parseResult)) {
        ex.printStackTrace(e);
      }
      e.flush();
      return EXIT_FAILURE;
    });
    return cl;
  }

  private static boolean verbose(ParseResult pr) {
    for (ParseResult p = pr; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  /** One line saying what went wrong, for a user rather than a developer. */
  static String describe(Throwable ex) {
    if (ex instanceof NoSuchFileException) {
      return "no such file or directory: " + ((NoSuchFileException) ex).getFile();
    }
    if (ex instanceof AccessDeniedException) {
      return "permission denied: " + ((AccessDeniedException) ex).getFile();
    }
    if (ex instanceof NotDirectoryException) {
      return "not a directory: " + ((NotDirectoryException) ex).getFile();
    }
    if (ex instanceof FileAlreadyExistsException) {
      return "already exists: " + ((FileAlreadyExistsException) ex).getFile();
    }
    if (ex instanceof IOException || ex instanceof IllegalArgumentException) {
      String msg = ex.getMessage();
      return oneLine(msg == null ? ex.getClass().getSimpleName() : msg);
    }
    return "internal error: " + oneLine(String.valueOf(ex))
        + " (run with --verbose for the stack trace)";
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
  }

  /** The version from the build ({@code version.properties}). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = Vssf.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"vssf " + p.getProperty("version", "(development build)")};
    }
  }
}
