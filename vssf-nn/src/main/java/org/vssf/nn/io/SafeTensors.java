package org.vssf.nn.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Strict reader and writer of safetensors weight files.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length {@code N}; {@code N} bytes of UTF-8
 * JSON holding one object that maps each tensor name to {@code {"dtype": "F32", "shape": [d0, ...],
 * "data_offsets": [begin, end]}}, plus an optional {@code "__metadata__": {string: string}}; then
 * the data buffer, each tensor row-major little-endian in bytes {@code [begin, end)} counted from
 * the start of the data buffer (byte {@code 8 + N} of the file), with {@code end - begin =
 * product(shape) × dtype size}. Writers pad the header with spaces to a multiple of 8 bytes; the
 * reader, like the reference implementation, does not require the padding.
 *
 * <p>Reading validates the whole header against the file size before any tensor array is
 * allocated, so memory use is bounded by the file's size whatever the header declares. A file is
 * rejected with a {@link SafeTensorsFormatException} naming the file and the problem if it is
 * shorter than 8 bytes; declares a header over {@link #MAX_HEADER_BYTES} or past the end of the
 * file; has a header that is not strict UTF-8, not strict JSON (see {@code Json}: duplicate keys,
 * nesting over 64 and the like) or not an object (it must start with <code>{</code>); has an entry
 * with a missing, unknown or ill-typed field, an empty name, an unknown dtype, a negative
 * dimension or one over {@code 2^31 - 1}, a byte size that overflows 64 bits, or offsets whose span
 * differs from that size; has tensors that overlap or leave a gap (sorted by offset, they must tile
 * {@code [0, dataLength)} exactly); has trailing bytes after the last tensor or is truncated; or
 * has a {@code __metadata__} that is not an object of strings. Other {@link IOException}s mean the
 * file could not be read at all. The header is parsed as data and never evaluated. Memory: the
 * header costs a small multiple of its length (at most 100 MB, and never more than the file), the
 * tensors exactly the data buffer's length.
 *
 * <p>Dtypes: every {@link Dtype} is validated; only F32 data is loaded. A file with tensors of
 * other dtypes reads successfully (so a loader can skip, say, an I64 step counter) and asking
 * such a tensor for {@link TensorData#values()} throws.
 */
public final class SafeTensors {
  /** The largest header accepted, in bytes (as in the reference implementation). */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  /** The reserved header key of the metadata map. */
  public static final String METADATA_KEY = "__metadata__";

  private static final int CHUNK_BYTES = 1 << 16;

  private SafeTensors() {}

  // ------------------------------------------------------------------------------------ reading

  /**
   * Reads and validates the header of {@code path} without reading tensor data: names, dtypes,
   * shapes, offsets and metadata, for loaders that check a model's declared architecture first.
   *
   * @throws SafeTensorsFormatException if the file is not a valid safetensors file (see the class
   *     comment; the whole header including the offsets against the file size is checked)
   * @throws IOException if the file cannot be read
   */
  public static SafeTensorsHeader readHeader(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return readHeader(ch, path.toString());
    }
  }

  /**
   * Reads and validates {@code path}: every tensor in header order, with the values of the F32
   * tensors (bit-exact), and the metadata.
   *
   * @throws SafeTensorsFormatException if the file is not a valid safetensors file (see the class
   *     comment) or an F32 tensor has more than {@code 2^31 - 1} elements
   * @throws IOException if the file cannot be read
   */
  public static SafeTensorsContents read(Path path) throws IOException {
    String file = path.toString();
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      SafeTensorsHeader header = readHeader(ch, file);
      long dataStart = 8 + header.headerLength();
      for (TensorInfo t : header.tensors().values()) {
        if (t.dtype() == Dtype.F32 && t.elementCount() > Integer.MAX_VALUE - 8) {
          throw new SafeTensorsFormatException("safetensors: tensor " + Json.quote(t.name())
              + " in " + file + " has " + t.elementCount()
              + " elements, more than a Java float[] holds", file);
        }
      }
      LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
      ByteBuffer chunk = ByteBuffer.allocate(
          (int) Math.min(CHUNK_BYTES, Math.max(4, header.dataLength()))).order(ByteOrder.LITTLE_ENDIAN);
      for (TensorInfo t : header.tensors().values()) {
        float[] values = null;
        if (t.dtype() == Dtype.F32) {
          values = new float[(int) t.elementCount()];
          readFloats(ch, dataStart + t.dataBegin(), values, chunk, file, t.name());
        }
        tensors.put(t.name(), new TensorData(t, values, file));
      }
      return new SafeTensorsContents(tensors, header.metadata());
    }
  }

  private static void readFloats(FileChannel ch, long position, float[] dst, ByteBuffer chunk,
      String file, String name) throws IOException {
    int done = 0;
    long pos = position;
    while (done < dst.length) {
      int n = Math.min(dst.length - done, chunk.capacity() / 4);
      ((Buffer) chunk).clear();
      ((Buffer) chunk).limit(n * 4);
      while (chunk.hasRemaining()) {
        int r = ch.read(chunk, pos);
        if (r < 0) {
          throw new SafeTensorsFormatException("safetensors: " + file
              + " ended while reading tensor " + Json.quote(name)
              + " (the file shrank after its size was checked)", file);
        }
        pos += r;
      }
      ((Buffer) chunk).flip();
      chunk.asFloatBuffer().get(dst, done, n);
      done += n;
    }
  }

  static SafeTensorsHeader readHeader(FileChannel ch, String file) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw new SafeTensorsFormatException("safetensors: " + file + " is " + size
          + " bytes, too short for the 8-byte header length", file);
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0, file);
    long n = lenBuf.getLong(0); // unsigned: negative means >= 2^63
    if (n < 0 || n > MAX_HEADER_BYTES) {
      throw new SafeTensorsFormatException("safetensors: header of " + file + " declares "
          + Long.toUnsignedString(n) + " bytes, more than the " + MAX_HEADER_BYTES
          + "-byte limit", file);
    }
    if (n > size - 8) {
      throw new SafeTensorsFormatException("safetensors: header of " + file + " declares " + n
          + " bytes, past the end of the file (only " + (size - 8)
          + " bytes follow the 8-byte length)", file);
    }
    if (n == 0) {
      throw new SafeTensorsFormatException(
          "safetensors: header of " + file + " is empty (0 bytes), expected a JSON object", file);
    }
    ByteBuffer raw = ByteBuffer.allocate((int) n);
    readFully(ch, raw, 8, file);
    ((Buffer) raw).flip();
    byte first = raw.get(0);
    if (first != '{') {
      throw new SafeTensorsFormatException("safetensors: header of " + file
          + " is not a JSON object (its first byte is " + describeByte(first)
          + ", expected '{')", file);
    }
    String text = decodeUtf8(raw, file);
    Object parsed;
    try {
      parsed = Json.parse(text);
    } catch (Json.SyntaxException e) {
      throw new SafeTensorsFormatException("safetensors: header of " + file
          + " is not valid JSON: " + e.getMessage(), file);
    }
    if (!(parsed instanceof Map)) { // unreachable after the '{' check; kept for safety
      throw new SafeTensorsFormatException(
          "safetensors: header of " + file + " is not a JSON object", file);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> root = (Map<String, Object>) parsed;
    return validate(root, n, size - 8 - n, file);
  }

  private static void readFully(FileChannel ch, ByteBuffer dst, long position, String file)
      throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int r = ch.read(dst, pos);
      if (r < 0) {
        throw new SafeTensorsFormatException("safetensors: " + file
            + " ended while reading its header (the file shrank after its size was checked)", file);
      }
      pos += r;
    }
  }

  private static String decodeUtf8(ByteBuffer raw, String file) throws SafeTensorsFormatException {
    CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    CharBuffer out = CharBuffer.allocate(raw.remaining());
    CoderResult r = dec.decode(raw, out, true);
    if (!r.isError()) {
      r = dec.flush(out);
    }
    if (r.isError()) {
      throw new SafeTensorsFormatException("safetensors: header of " + file
          + " is not valid UTF-8 (malformed sequence at header byte " + raw.position() + ")", file);
    }
    ((Buffer) out).flip();
    return out.toString();
  }

  private static SafeTensorsHeader validate(Map<String, Object> root, long headerLength,
      long dataLength, String file) throws SafeTensorsFormatException {
    LinkedHashMap<String, TensorInfo> tensors = new LinkedHashMap<>();
    LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : root.entrySet()) {
      String name = e.getKey();
      if (name.equals(METADATA_KEY)) {
        readMetadata(e.getValue(), metadata, file);
      } else {
        tensors.put(name, tensorInfo(name, e.getValue(), file));
      }
    }
    checkTiling(tensors, dataLength, file);
    return new SafeTensorsHeader(tensors, metadata, headerLength, dataLength);
  }

  private static void readMetadata(Object value, Map<String, String> out, String file)
      throws SafeTensorsFormatException {
    if (!(value instanceof Map)) {
      throw new SafeTensorsFormatException("safetensors: " + METADATA_KEY + " in " + file
          + " is " + jsonType(value) + ", expected an object of strings", file);
    }
    for (Map.Entry<?, ?> m : ((Map<?, ?>) value).entrySet()) {
      if (!(m.getValue() instanceof String)) {
        throw new SafeTensorsFormatException("safetensors: " + METADATA_KEY + " in " + file
            + " maps " + Json.quote((String) m.getKey()) + " to " + jsonType(m.getValue())
            + ", expected a string", file);
      }
      out.put((String) m.getKey(), (String) m.getValue());
    }
  }

  private static TensorInfo tensorInfo(String name, Object entry, String file)
      throws SafeTensorsFormatException {
    String where = "safetensors: tensor " + Json.quote(name) + " in " + file;
    if (name.isEmpty()) {
      throw new SafeTensorsFormatException(
          "safetensors: " + file + " has a tensor with an empty name", file);
    }
    if (!(entry instanceof Map)) {
      throw new SafeTensorsFormatException(where + " is " + jsonType(entry)
          + ", expected an object with dtype, shape and data_offsets", file);
    }
    Map<?, ?> fields = (Map<?, ?>) entry;
    for (Object key : fields.keySet()) {
      if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
        throw new SafeTensorsFormatException(
            where + " has an unknown field " + Json.quote((String) key), file);
      }
    }
    Object dt = require(fields, "dtype", where, file);
    Dtype dtype = dt instanceof String ? Dtype.fromHeaderName((String) dt) : null;
    if (dtype == null) {
      throw new SafeTensorsFormatException(where + " has unknown dtype "
          + (dt instanceof String ? Json.quote((String) dt) : jsonType(dt)), file);
    }
    List<?> shapeList = requireList(fields, "shape", where, file);
    int[] shape = new int[shapeList.size()];
    for (int i = 0; i < shape.length; i++) {
      long d = nonNegativeInteger(shapeList.get(i), where + ": shape[" + i + "]", file);
      if (d > Integer.MAX_VALUE) {
        throw new SafeTensorsFormatException(
            where + ": shape[" + i + "] = " + d + " exceeds 2^31 - 1", file);
      }
      shape[i] = (int) d;
    }
    long count = 1;
    long bytes;
    try {
      for (int d : shape) {
        count = Math.multiplyExact(count, d);
      }
      bytes = Math.multiplyExact(count, dtype.byteSize());
    } catch (ArithmeticException overflow) {
      throw new SafeTensorsFormatException(where + ": shape " + Arrays.toString(shape) + " of "
          + dtype + " overflows 64 bits", file);
    }
    List<?> offsets = requireList(fields, "data_offsets", where, file);
    if (offsets.size() != 2) {
      throw new SafeTensorsFormatException(where + ": data_offsets has " + offsets.size()
          + " entries, expected [begin, end]", file);
    }
    long begin = nonNegativeInteger(offsets.get(0), where + ": data_offsets[0]", file);
    long end = nonNegativeInteger(offsets.get(1), where + ": data_offsets[1]", file);
    if (end < begin) {
      throw new SafeTensorsFormatException(where + ": data_offsets [" + begin + ", " + end
          + "] end before they begin", file);
    }
    if (end - begin != bytes) {
      throw new SafeTensorsFormatException(where + ": data_offsets [" + begin + ", " + end
          + "] span " + (end - begin) + " bytes but shape " + Arrays.toString(shape) + " of "
          + dtype + " needs " + bytes, file);
    }
    return new TensorInfo(name, dtype, shape, count, begin, end);
  }

  private static Object require(Map<?, ?> fields, String key, String where, String file)
      throws SafeTensorsFormatException {
    if (!fields.containsKey(key)) {
      throw new SafeTensorsFormatException(where + " has no \"" + key + "\"", file);
    }
    return fields.get(key);
  }

  private static List<?> requireList(Map<?, ?> fields, String key, String where, String file)
      throws SafeTensorsFormatException {
    Object v = require(fields, key, where, file);
    if (!(v instanceof List)) {
      throw new SafeTensorsFormatException(
          where + ": \"" + key + "\" is " + jsonType(v) + ", expected an array", file);
    }
    return (List<?>) v;
  }

  private static long nonNegativeInteger(Object v, String what, String file)
      throws SafeTensorsFormatException {
    if (v instanceof Long && (Long) v >= 0) {
      return (Long) v;
    }
    String got = v instanceof Long || v instanceof Double ? v.toString() : jsonType(v);
    throw new SafeTensorsFormatException(
        what + " is " + got + ", expected an integer in [0, 2^63)", file);
  }

  /** Sorted by (begin, end), the tensors must cover {@code [0, dataLength)} exactly once. */
  private static void checkTiling(Map<String, TensorInfo> tensors, long dataLength, String file)
      throws SafeTensorsFormatException {
    List<TensorInfo> sorted = new ArrayList<>(tensors.values());
    sorted.sort(Comparator.comparingLong(TensorInfo::dataBegin)
        .thenComparingLong(TensorInfo::dataEnd));
    long covered = 0;
    TensorInfo prev = null;
    for (TensorInfo t : sorted) {
      if (t.dataBegin() < covered) {
        throw new SafeTensorsFormatException("safetensors: tensors " + Json.quote(prev.name())
            + " " + range(prev) + " and " + Json.quote(t.name()) + " " + range(t) + " in " + file
            + " overlap", file);
      }
      if (t.dataBegin() > covered) {
        throw new SafeTensorsFormatException("safetensors: gap in the data of " + file
            + ": no tensor covers bytes [" + covered + ", " + t.dataBegin() + ")"
            + (prev == null ? " before " + Json.quote(t.name())
                : " between " + Json.quote(prev.name()) + " and " + Json.quote(t.name())), file);
      }
      covered = t.dataEnd();
      prev = t;
    }
    if (covered > dataLength) {
      throw new SafeTensorsFormatException("safetensors: " + file + " is truncated: its tensors"
          + " need " + covered + " data bytes but only " + dataLength + " follow the header", file);
    }
    if (covered < dataLength) {
      throw new SafeTensorsFormatException("safetensors: " + file + " has "
          + (dataLength - covered) + " bytes of trailing data after the last tensor (the tensors"
          + " cover " + covered + " of " + dataLength + " data bytes)", file);
    }
  }

  private static String range(TensorInfo t) {
    return "[" + t.dataBegin() + ", " + t.dataEnd() + ")";
  }

  private static String jsonType(Object v) {
    if (v == null) {
      return "null";
    } else if (v instanceof Map) {
      return "an object";
    } else if (v instanceof List) {
      return "an array";
    } else if (v instanceof String) {
      return "a string";
    } else if (v instanceof Boolean) {
      return "a boolean";
    } else {
      return "the number " + v;
    }
  }

  private static String describeByte(byte b) {
    int u = b & 0xff;
    return u >= 0x20 && u < 0x7f ? "'" + (char) u + "'" : String.format("0x%02x", u);
  }

  // ------------------------------------------------------------------------------------ writing

  /**
   * Writes {@code tensors} and {@code metadata} to {@code path} as a safetensors file, atomically
   * (see {@link AtomicFiles}): an existing file is replaced only once the new one is complete.
   *
   * <p>The output is deterministic: the header is compact JSON (no whitespace) with {@code
   * __metadata__} first (omitted when {@code metadata} is null or empty; keys sorted by {@link
   * String#compareTo} whatever the map type), then the tensors in the map's iteration order, each
   * {@code {"dtype":"F32","shape":[...],"data_offsets":[begin,end]}} with the data laid out
   * back-to-back in that order; the header is padded with spaces to a multiple of 8 bytes; values
   * are written little-endian with their exact bits (NaN payloads included).
   *
   * @param tensors by name, in file order; each key must equal its tensor's name
   * @param metadata string map, or {@code null}
   * @throws IllegalArgumentException for a non-F32 tensor, a key that differs from the tensor's
   *     name, an empty or reserved name, a null key or value, a string with an unpaired
   *     surrogate, or a header over {@link #MAX_HEADER_BYTES}
   * @throws IOException if the file cannot be written; then the old file is untouched
   */
  public static void write(Path path, LinkedHashMap<String, TensorData> tensors,
      Map<String, String> metadata) throws IOException {
    final byte[] header = header(tensors, metadata);
    final List<TensorData> order = new ArrayList<>(tensors.values());
    AtomicFiles.write(path, out -> {
      out.write(header);
      ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      for (TensorData t : order) {
        writeFloats(t.valuesUnsafe(), chunk, out);
      }
    });
  }

  /** The length prefix, JSON and padding for {@code tensors}; validates the arguments. */
  static byte[] header(LinkedHashMap<String, TensorData> tensors, Map<String, String> metadata) {
    if (tensors == null) {
      throw new IllegalArgumentException("tensors must not be null");
    }
    LinkedHashMap<String, Object> root = new LinkedHashMap<>();
    if (metadata != null && !metadata.isEmpty()) {
      TreeMap<String, Object> sorted = new TreeMap<>();
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        if (e.getKey() == null || e.getValue() == null) {
          throw new IllegalArgumentException("metadata keys and values must not be null, got "
              + e.getKey() + " = " + e.getValue());
        }
        sorted.put(e.getKey(), e.getValue());
      }
      root.put(METADATA_KEY, sorted);
    }
    long offset = 0;
    for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
      TensorData t = e.getValue();
      if (t == null) {
        throw new IllegalArgumentException("tensor " + Json.quote(String.valueOf(e.getKey()))
            + " is null");
      }
      TensorData.checkName(e.getKey());
      if (!e.getKey().equals(t.name())) {
        throw new IllegalArgumentException("map key " + Json.quote(e.getKey())
            + " differs from the name of its tensor " + Json.quote(t.name()));
      }
      if (t.dtype() != Dtype.F32) {
        throw new IllegalArgumentException("tensor " + Json.quote(t.name()) + " has dtype "
            + t.dtype() + "; VSSF-J writes F32 only");
      }
      long bytes = Math.multiplyExact(t.elementCount(), 4L);
      LinkedHashMap<String, Object> entry = new LinkedHashMap<>();
      entry.put("dtype", "F32");
      List<Object> shape = new ArrayList<>();
      for (int d : t.shape()) {
        shape.add((long) d);
      }
      entry.put("shape", shape);
      entry.put("data_offsets", Arrays.<Object>asList(offset, offset + bytes));
      root.put(t.name(), entry);
      offset += bytes;
    }
    byte[] json = Json.write(root).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) & ~7;
    if (padded > MAX_HEADER_BYTES) {
      throw new IllegalArgumentException("safetensors header would be " + padded
          + " bytes, more than the " + MAX_HEADER_BYTES + "-byte limit");
    }
    ByteBuffer buf = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(padded);
    buf.put(json);
    while (buf.hasRemaining()) {
      buf.put((byte) ' ');
    }
    return buf.array();
  }

  private static void writeFloats(float[] values, ByteBuffer chunk, OutputStream out)
      throws IOException {
    int done = 0;
    while (done < values.length) {
      int n = Math.min(values.length - done, chunk.capacity() / 4);
      ((Buffer) chunk).clear();
      chunk.asFloatBuffer().put(values, done, n);
      out.write(chunk.array(), 0, n * 4);
      done += n;
    }
  }
}
