package org.vssf.bench.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The header of a NumPy {@code .npy} file, format version 1.0: the magic {@code \x93NUMPY}, the
 * version bytes {@code 1 0}, a little-endian uint16 header length H, and H bytes of ASCII holding
 * a Python dict literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (N, T, m), }}
 * padded with spaces and ended by {@code \n}; the C-order array data follows at offset {@code 10 +
 * H}.
 *
 * <p>{@link #encode()} writes exactly what NumPy's {@code np.save} writes (including its spare
 * spaces for growing the first axis and the 64-byte alignment), so our files are byte-identical
 * to NumPy's. {@link #read} accepts any valid version-1.0 header with a supported dtype and
 * C order, and nothing else.
 */
public final class NpyHeader {
  /** Bytes before the header text: magic (6), version (2), header length (2). */
  public static final int PREFIX = 10;
  /** Most dimensions we accept (NumPy allows 64; data sets use at most 5). */
  public static final int MAX_DIMS = 32;

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int ALIGN = 64;
  /** NumPy reserves room so the first axis can grow to this many digits in place. */
  private static final int GROWTH_AXIS_MAX_DIGITS = 21;

  private final NpyDtype dtype;
  private final long[] shape;
  private final long count;
  private final long dataBytes;
  private final long dataOffset;

  private NpyHeader(NpyDtype dtype, long[] shape, long count, long dataBytes, long dataOffset) {
    this.dtype = dtype;
    this.shape = shape;
    this.count = count;
    this.dataBytes = dataBytes;
    this.dataOffset = dataOffset;
  }

  /**
   * The header NumPy would write for a C-order array of this dtype and shape.
   *
   * @throws IllegalArgumentException for a negative dimension, too many dimensions, or a size
   *     that overflows a long
   */
  public static NpyHeader of(NpyDtype dtype, long... shape) {
    if (shape.length > MAX_DIMS) {
      throw new IllegalArgumentException("npy: " + shape.length + " dimensions (at most "
          + MAX_DIMS + ")");
    }
    long n = 1;
    try {
      for (long d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException("npy: negative dimension in shape "
              + Arrays.toString(shape));
        }
        n = Math.multiplyExact(n, d);
      }
      long bytes = Math.multiplyExact(n, (long) dtype.itemSize());
      int textLength = text(dtype, shape).length();
      return new NpyHeader(dtype, shape.clone(), n, bytes, PREFIX + textLength);
    } catch (ArithmeticException overflow) {
      throw new IllegalArgumentException("npy: shape " + Arrays.toString(shape)
          + " is too large (its size overflows)");
    }
  }

  /** NumPy's header text, padded and with its final newline. */
  private static String text(NpyDtype dtype, long[] shape) {
    StringBuilder sb = new StringBuilder("{'descr': '").append(dtype.descr())
        .append("', 'fortran_order': False, 'shape': ").append(shapeRepr(shape)).append(", }");
    if (shape.length > 0) {
      sb.append(" ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length())));
    }
    int withNewline = sb.length() + 1;
    int pad = ALIGN - ((PREFIX + withNewline) % ALIGN);
    sb.append(" ".repeat(pad)).append('\n');
    if (sb.length() > 0xFFFF) {
      throw new IllegalArgumentException("npy: header of " + sb.length()
          + " bytes does not fit format version 1.0");
    }
    return sb.toString();
  }

  /** Python's repr of the shape tuple: {@code ()}, {@code (3,)}, {@code (3, 4)}. */
  static String shapeRepr(long[] shape) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return sb.append(shape.length == 1 ? ",)" : ")").toString();
  }

  /** The complete header bytes (magic, version, length, text); {@code dataOffset()} long. */
  public byte[] encode() {
    byte[] txt = text(dtype, shape).getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(PREFIX + txt.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) txt.length).put(txt);
    return b.array();
  }

  // ---------------------------------------------------------------------------------- reading

  /**
   * Reads and validates the header of {@code file} (open as {@code ch}, {@code fileSize} bytes):
   * magic, version 1.0, header length within the file, ASCII dict syntax with exactly the keys
   * {@code descr}, {@code fortran_order}, {@code shape}, a supported dtype, C order, a shape
   * whose byte size does not overflow, and a file length of exactly header + data.
   *
   * @throws DataFileException naming {@code file} and the first problem found
   */
  static NpyHeader read(FileChannel ch, long fileSize, Path file) throws IOException {
    if (fileSize < PREFIX) {
      if (fileSize < MAGIC.length || !startsWithMagic(readFully(ch, 0, (int) fileSize, file))) {
        throw new DataFileException(file, "not a NumPy .npy file (" + fileSize
            + " bytes, no magic string)");
      }
      throw new DataFileException(file, "truncated .npy header (" + fileSize + " bytes)");
    }
    ByteBuffer prefix = readFully(ch, 0, PREFIX, file);
    if (!startsWithMagic(prefix)) {
      throw new DataFileException(file, "not a NumPy .npy file (bad magic bytes)");
    }
    int major = prefix.get(6) & 0xFF;
    int minor = prefix.get(7) & 0xFF;
    if (major != 1 || minor != 0) {
      throw new DataFileException(file, "unsupported .npy format version " + major + "." + minor
          + " (only 1.0 is read; np.save writes 1.0 for these arrays)");
    }
    int headerLength = prefix.order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xFFFF;
    if (PREFIX + (long) headerLength > fileSize) {
      throw new DataFileException(file, "header length " + headerLength
          + " runs past the end of the file (" + fileSize + " bytes)");
    }
    ByteBuffer txt = readFully(ch, PREFIX, headerLength, file);
    byte[] raw = new byte[headerLength];
    txt.get(raw);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] < 0) {
        throw new DataFileException(file, "header: non-ASCII byte at char " + i);
      }
    }
    String text = new String(raw, StandardCharsets.US_ASCII);
    Parsed p = new Parser(text, file).header();
    NpyDtype dtype = NpyDtype.ofDescr(p.descr);
    if (dtype == null) {
      throw new DataFileException(file, "dtype '" + p.descr + "' is not supported (use float32 '"
          + NpyDtype.FLOAT32.descr() + "' or uint8 '" + NpyDtype.UINT8.descr() + "')");
    }
    if (p.fortranOrder) {
      throw new DataFileException(file, "Fortran-order arrays are not supported (save"
          + " np.ascontiguousarray(a) instead)");
    }
    long[] shape = p.shape;
    long count = 1;
    long bytes;
    try {
      for (long d : shape) {
        count = Math.multiplyExact(count, d);
      }
      bytes = Math.multiplyExact(count, (long) dtype.itemSize());
    } catch (ArithmeticException overflow) {
      throw new DataFileException(file, "shape " + shapeRepr(shape)
          + " is too large (its size overflows)");
    }
    long dataOffset = PREFIX + (long) headerLength;
    long expected = dataOffset + bytes;
    if (fileSize != expected) {
      String what = fileSize < expected ? "truncated" : (fileSize - expected) + " extra bytes";
      throw new DataFileException(file, "file is " + fileSize + " bytes, but header (" + dataOffset
          + " bytes) + " + dtype.numpyName() + " data of shape " + shapeRepr(shape) + " make "
          + expected + " bytes (" + what + ")");
    }
    return new NpyHeader(dtype, shape, count, bytes, dataOffset);
  }

  private static boolean startsWithMagic(ByteBuffer b) {
    if (b.remaining() < MAGIC.length) {
      return false;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (b.get(i) != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  /** {@code length} bytes at {@code position}, flipped for reading. */
  static ByteBuffer readFully(FileChannel ch, long position, int length, Path file)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      int n = ch.read(b, position + b.position());
      if (n < 0) {
        throw new DataFileException(file, "file ended at byte " + (position + b.position())
            + " while reading (was it truncated while open?)");
      }
    }
    ((java.nio.Buffer) b).flip();
    return b;
  }

  /** The parsed dict. */
  private static final class Parsed {
    String descr;
    Boolean fortranOrderValue;
    boolean fortranOrder;
    long[] shape;
  }

  /** Recursive-descent parser of the header's Python dict literal (the subset NumPy writes). */
  private static final class Parser {
    private final String s;
    private final Path file;
    private int pos;

    Parser(String s, Path file) {
      this.s = s;
      this.file = file;
    }

    Parsed header() throws DataFileException {
      if (s.isEmpty() || s.charAt(s.length() - 1) != '\n') {
        throw error("header does not end with a newline", s.length());
      }
      Parsed p = new Parsed();
      skipSpaces();
      expect('{');
      skipSpaces();
      while (peek() != '}') {
        int keyPos = pos;
        String key = string();
        skipSpaces();
        expect(':');
        skipSpaces();
        switch (key) {
          case "descr":
            if (p.descr != null) {
              throw error("duplicate key 'descr'", keyPos);
            }
            if (peek() != '\'' && peek() != '"') {
              throw error("'descr' must be a dtype string such as '<f4'", pos);
            }
            p.descr = string();
            break;
          case "fortran_order":
            if (p.fortranOrderValue != null) {
              throw error("duplicate key 'fortran_order'", keyPos);
            }
            p.fortranOrderValue = bool();
            p.fortranOrder = p.fortranOrderValue;
            break;
          case "shape":
            if (p.shape != null) {
              throw error("duplicate key 'shape'", keyPos);
            }
            p.shape = tuple();
            break;
          default:
            throw error("unexpected key '" + key + "' (an .npy header has 'descr',"
                + " 'fortran_order' and 'shape')", keyPos);
        }
        skipSpaces();
        if (peek() == ',') {
          pos++;
          skipSpaces();
        } else if (peek() != '}') {
          throw unexpected("',' or '}'");
        }
      }
      pos++; // '}'
      skipSpaces();
      if (pos != s.length() - 1) {
        throw error("unexpected content after the dict", pos);
      }
      if (p.descr == null) {
        throw error("header lacks 'descr'", pos);
      }
      if (p.fortranOrderValue == null) {
        throw error("header lacks 'fortran_order'", pos);
      }
      if (p.shape == null) {
        throw error("header lacks 'shape'", pos);
      }
      return p;
    }

    private String string() throws DataFileException {
      char q = peek();
      if (q != '\'' && q != '"') {
        throw unexpected("a quoted string");
      }
      int start = ++pos;
      while (pos < s.length() && s.charAt(pos) != q) {
        char c = s.charAt(pos);
        if (c == '\\' || c < 0x20) {
          throw error("unsupported character in string", pos);
        }
        pos++;
      }
      if (pos >= s.length()) {
        throw error("unterminated string", start - 1);
      }
      return s.substring(start, pos++);
    }

    private boolean bool() throws DataFileException {
      if (s.startsWith("True", pos)) {
        pos += 4;
        return true;
      }
      if (s.startsWith("False", pos)) {
        pos += 5;
        return false;
      }
      throw error("'fortran_order' must be True or False", pos);
    }

    private long[] tuple() throws DataFileException {
      int start = pos;
      if (peek() != '(') {
        throw error("'shape' must be a tuple such as (3, 4)", pos);
      }
      pos++;
      skipSpaces();
      List<Long> dims = new ArrayList<>();
      boolean trailingComma = false;
      while (peek() != ')') {
        dims.add(integer());
        if (dims.size() > MAX_DIMS) {
          throw error("more than " + MAX_DIMS + " dimensions in 'shape'", start);
        }
        skipSpaces();
        trailingComma = false;
        if (peek() == ',') {
          pos++;
          trailingComma = true;
          skipSpaces();
        } else if (peek() != ')') {
          throw unexpected("',' or ')' in 'shape'");
        }
      }
      pos++;
      if (dims.size() == 1 && !trailingComma) {
        throw error("'shape' " + s.substring(start, pos) + " is not a tuple (a one-element tuple"
            + " is written (n,))", start);
      }
      long[] out = new long[dims.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = dims.get(i);
      }
      return out;
    }

    private long integer() throws DataFileException {
      int start = pos;
      if (peek() == '-') {
        throw error("negative dimension in 'shape'", pos);
      }
      while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
        pos++;
      }
      if (pos == start) {
        throw unexpected("a dimension (non-negative integer)");
      }
      if (s.charAt(start) == '0' && pos - start > 1) {
        throw error("dimension with a leading zero in 'shape'", start);
      }
      try {
        return Long.parseLong(s.substring(start, pos));
      } catch (NumberFormatException tooBig) {
        throw error("dimension " + s.substring(start, Math.min(pos, start + 30))
            + " in 'shape' is too large", start);
      }
    }

    private void skipSpaces() {
      while (pos < s.length() && s.charAt(pos) == ' ') {
        pos++;
      }
    }

    private char peek() {
      return pos < s.length() ? s.charAt(pos) : '\uFFFF';
    }

    private void expect(char c) throws DataFileException {
      if (peek() != c) {
        throw unexpected("'" + c + "'");
      }
      pos++;
    }

    private DataFileException unexpected(String expected) {
      String found = pos >= s.length() ? "end of header"
          : s.charAt(pos) == '\n' ? "newline" : "'" + s.charAt(pos) + "'";
      return error("expected " + expected + " but found " + found, pos);
    }

    private DataFileException error(String problem, int at) {
      return new DataFileException(file, "bad .npy header: " + problem + " (at char " + at + ")");
    }
  }

  // -------------------------------------------------------------------------------- accessors

  /** Element type. */
  public NpyDtype dtype() {
    return dtype;
  }

  /** Shape (a copy). */
  public long[] shape() {
    return shape.clone();
  }

  /** Number of dimensions. */
  public int ndim() {
    return shape.length;
  }

  /** Size of dimension {@code i}. */
  public long dim(int i) {
    return shape[i];
  }

  /** Number of elements, the product of the shape. */
  public long count() {
    return count;
  }

  /** Bytes of data, {@code count·itemSize}. */
  public long dataBytes() {
    return dataBytes;
  }

  /** File offset of the first data byte. */
  public long dataOffset() {
    return dataOffset;
  }

  /** E.g. {@code float32 (3, 4)}. */
  @Override
  public String toString() {
    return dtype.numpyName() + " " + shapeRepr(shape);
  }
}
