package org.vssf.bench.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vssf.bench.env.Dynamics;
import org.vssf.nn.io.AtomicFiles;
import org.vssf.nn.io.Json;

/**
 * The content of a data set's {@code dataset.json} (format version 1; see {@code
 * docs/data-format.md}): sizes, and optionally the environment, split, seeds, the dynamics that
 * generated the data (A, B, K, noise, prior Σz) and free-form user metadata.
 *
 * @param environment environment name, or {@code null} (e.g. {@code "pendulum"})
 * @param split split name, or {@code null} (e.g. {@code "train"})
 * @param sequences N
 * @param length T, steps per sequence
 * @param height image height H
 * @param width image width W
 * @param stateDim m
 * @param controlDim p
 * @param seed generation seed, or {@code null}
 * @param sceneSeed scene layout seed, or {@code null}
 * @param dynamics the generating dynamics, or {@code null} if unknown
 * @param metadata free-form JSON object (parsed form), or {@code null}
 */
public record DataSetInfo(String environment, String split, int sequences, int length, int height,
    int width, int stateDim, int controlDim, Long seed, Long sceneSeed, Dynamics dynamics,
    Map<String, Object> metadata) {

  /** The file name inside a data-set directory. */
  public static final String FILE = "dataset.json";
  /** Value of the {@code "format"} field. */
  public static final String FORMAT = "vssf-dataset";
  /** Value of the {@code "format_version"} field this code reads and writes. */
  public static final int FORMAT_VERSION = 1;

  private static final List<String> KEYS = List.of("format", "format_version", "environment",
      "split", "sequences", "length", "image_height", "image_width", "state_dim", "control_dim",
      "seed", "scene_seed", "dynamics", "metadata");

  /** Checks the sizes and that the dynamics (if any) match m and p. */
  public DataSetInfo {
    if (sequences < 0 || length < 1 || height < 1 || width < 1 || stateDim < 1 || controlDim < 0) {
      throw new IllegalArgumentException("dataset: invalid sizes N=" + sequences + " T=" + length
          + " H=" + height + " W=" + width + " m=" + stateDim + " p=" + controlDim);
    }
    if (dynamics != null && (dynamics.stateDim() != stateDim
        || dynamics.controlDim() != controlDim)) {
      throw new IllegalArgumentException("dataset: dynamics with m=" + dynamics.stateDim() + ", p="
          + dynamics.controlDim() + " for data with m=" + stateDim + ", p=" + controlDim);
    }
    metadata = metadata == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** The JSON object, in the documented key order. */
  public Map<String, Object> toJson() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("format", FORMAT);
    o.put("format_version", (long) FORMAT_VERSION);
    putIfPresent(o, "environment", environment);
    putIfPresent(o, "split", split);
    o.put("sequences", (long) sequences);
    o.put("length", (long) length);
    o.put("image_height", (long) height);
    o.put("image_width", (long) width);
    o.put("state_dim", (long) stateDim);
    o.put("control_dim", (long) controlDim);
    putIfPresent(o, "seed", seed);
    putIfPresent(o, "scene_seed", sceneSeed);
    putIfPresent(o, "dynamics", dynamics == null ? null : dynamics.toJson());
    putIfPresent(o, "metadata", metadata);
    return o;
  }

  private static void putIfPresent(Map<String, Object> o, String key, Object value) {
    if (value != null) {
      o.put(key, value);
    }
  }

  /** Human-readable JSON: one top-level field per line, values compact. */
  public String toJsonText() {
    StringBuilder sb = new StringBuilder("{\n");
    boolean first = true;
    for (Map.Entry<String, Object> e : toJson().entrySet()) {
      sb.append(first ? "" : ",\n").append("  ");
      first = false;
      Json.writeString(e.getKey(), sb);
      sb.append(": ");
      if (e.getValue() instanceof Map && e.getKey().equals("dynamics")) {
        sb.append("{\n");
        boolean firstField = true;
        for (Map.Entry<?, ?> f : ((Map<?, ?>) e.getValue()).entrySet()) {
          sb.append(firstField ? "" : ",\n").append("    ");
          firstField = false;
          Json.writeString((String) f.getKey(), sb);
          sb.append(": ");
          Json.write(f.getValue(), sb);
        }
        sb.append("\n  }");
      } else {
        Json.write(e.getValue(), sb);
      }
    }
    return sb.append("\n}\n").toString();
  }

  /** Writes {@code dir/dataset.json} atomically. */
  public void write(Path dir) throws IOException {
    byte[] bytes = toJsonText().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(dir.resolve(FILE), out -> out.write(bytes));
  }

  /**
   * Reads and validates {@code dir/dataset.json}.
   *
   * @throws DataFileException naming the file and the problem
   */
  public static DataSetInfo read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new DataFileException(dir, "not a data set directory (no " + FILE + ")");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new DataFileException(file, "not UTF-8 text");
    }
    Object json;
    try {
      json = Json.parse(text);
    } catch (Json.SyntaxException e) {
      throw new DataFileException(file, "invalid JSON: " + e.getMessage());
    }
    return fromJson(json, file);
  }

  /** Validates a parsed {@code dataset.json}; {@code file} is for messages. */
  static DataSetInfo fromJson(Object json, Path file) throws DataFileException {
    if (!(json instanceof Map)) {
      throw new DataFileException(file, "expected a JSON object");
    }
    Map<?, ?> o = (Map<?, ?>) json;
    for (Object key : o.keySet()) {
      if (!KEYS.contains(key)) {
        throw new DataFileException(file, "unknown field " + Json.quote((String) key)
            + " (put your own data under \"metadata\")");
      }
    }
    if (!FORMAT.equals(o.get("format"))) {
      throw new DataFileException(file, "field \"format\" must be \"" + FORMAT + "\"");
    }
    long version = integer(o, "format_version", file, true, 0);
    if (version != FORMAT_VERSION) {
      throw new DataFileException(file, "format_version " + version + " is not supported (this"
          + " version reads " + FORMAT_VERSION + ")");
    }
    String environment = string(o, "environment", file);
    String split = string(o, "split", file);
    int n = (int) integer(o, "sequences", file, true, 0);
    int t = (int) integer(o, "length", file, true, 1);
    int h = (int) integer(o, "image_height", file, true, 1);
    int w = (int) integer(o, "image_width", file, true, 1);
    int m = (int) integer(o, "state_dim", file, true, 1);
    int p = (int) integer(o, "control_dim", file, true, 0);
    Long seed = o.containsKey("seed") ? integer(o, "seed", file, false, Long.MIN_VALUE) : null;
    Long sceneSeed = o.containsKey("scene_seed")
        ? integer(o, "scene_seed", file, false, Long.MIN_VALUE) : null;
    Dynamics dynamics = null;
    if (o.containsKey("dynamics")) {
      try {
        dynamics = Dynamics.fromJson(o.get("dynamics"), null, "\"dynamics\"");
      } catch (IllegalArgumentException e) {
        throw new DataFileException(file, e.getMessage());
      }
      if (dynamics.stateDim() != m || dynamics.controlDim() != p) {
        throw new DataFileException(file, "\"dynamics\" has m = " + dynamics.stateDim() + ", p = "
            + dynamics.controlDim() + " but state_dim = " + m + ", control_dim = " + p);
      }
    }
    Map<String, Object> metadata = null;
    if (o.containsKey("metadata")) {
      if (!(o.get("metadata") instanceof Map)) {
        throw new DataFileException(file, "field \"metadata\" must be a JSON object");
      }
      metadata = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) o.get("metadata")).entrySet()) {
        metadata.put((String) e.getKey(), e.getValue());
      }
    }
    return new DataSetInfo(environment, split, n, t, h, w, m, p, seed, sceneSeed, dynamics,
        metadata);
  }

  private static String jsonType(Object v) {
    return v == null ? "null" : v instanceof Map ? "an object" : v instanceof List ? "a list"
        : v instanceof String ? "a string" : v instanceof Boolean ? "a boolean" : "the number " + v;
  }

  private static String string(Map<?, ?> o, String key, Path file) throws DataFileException {
    Object v = o.get(key);
    if (v != null && !(v instanceof String)) {
      throw new DataFileException(file, "field \"" + key + "\" must be a string");
    }
    return (String) v;
  }

  private static long integer(Map<?, ?> o, String key, Path file, boolean intRange, long min)
      throws DataFileException {
    if (!o.containsKey(key)) {
      throw new DataFileException(file, "missing field \"" + key + "\"");
    }
    Object v = o.get(key);
    if (!(v instanceof Long)) {
      throw new DataFileException(file, "field \"" + key + "\" must be an integer, got "
          + jsonType(v));
    }
    long x = (Long) v;
    if (x < min || (intRange && x > Integer.MAX_VALUE)) {
      throw new DataFileException(file, "field \"" + key + "\" = " + x + " is out of range"
          + (intRange ? " [" + min + ", " + Integer.MAX_VALUE + "]" : ""));
    }
    return x;
  }
}
