package org.vssf.bench.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data file (an {@code .npy} array or a {@code dataset.json}) that is malformed or inconsistent
 * with the rest of its data set. The message names the file and the problem.
 */
public class DataFileException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  /** {@code file: problem}. */
  public DataFileException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** The offending file. */
  public Path file() {
    return file;
  }
}
