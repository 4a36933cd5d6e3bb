package org.vssf.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A weight file does not fit the model it is loaded into; lists every mismatch at once. */
public final class ModelMismatchException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient List<String> problems;

  /** Mismatches between {@code file} and the model. */
  public ModelMismatchException(Path file, List<String> problems) {
    super("weights in " + file + " do not fit the model (" + problems.size() + " problem"
        + (problems.size() == 1 ? "" : "s") + "): " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  /** Each mismatch, e.g. {@code "block1.0.weight has shape [8, 3, 4, 4], the model expects [16, 3, 4, 4]"}. */
  public List<String> problems() {
    return problems;
  }
}
