package org.vssf.nn.io;

import java.io.IOException;

/**
 * A file is not a valid safetensors file, or breaks a limit of this reader: too short, a header
 * length past the end of the file or over {@link SafeTensors#MAX_HEADER_BYTES}, a header that is
 * not strict UTF-8 JSON holding an object, a tensor entry with a missing, unknown or ill-typed
 * field, a shape whose byte size overflows 64 bits, data offsets that do not match the shape or do
 * not tile the data buffer exactly, or a truncated file. The message names the file and the
 * problem; {@link #file()} gives the file alone. This is the only exception {@link
 * SafeTensors#read} and {@link SafeTensors#readHeader} throw for bad content; other {@link
 * IOException}s mean the file could not be read at all.
 */
public class SafeTensorsFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String file;

  /** An error in {@code file}, explained by {@code message} (which should name the file). */
  public SafeTensorsFormatException(String message, String file) {
    super(message);
    this.file = file;
  }

  /** The file the error is in, as given to the reader. */
  public String file() {
    return file;
  }
}
