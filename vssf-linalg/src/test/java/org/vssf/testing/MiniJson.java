package org.vssf.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader for test reference files (the core modules have no JSON library): objects
 * become {@link Map}, arrays {@link List}, numbers {@link Double}, plus strings, booleans and null.
 * Handles what reference files contain, not every corner of RFC 8259 (no {@code \\u} escapes).
 */
public final class MiniJson {
  private final String s;
  private int pos;

  private MiniJson(String s) {
    this.s = s;
  }

  /** Parses a whole JSON document. */
  public static Object parse(String json) {
    MiniJson p = new MiniJson(json);
    Object v = p.value();
    p.skipSpace();
    if (p.pos != json.length()) {
      throw p.error("trailing characters");
    }
    return v;
  }

  /** Parses a UTF-8 classpath resource, e.g. {@code "/reference/x.json"}. */
  public static Object resource(Class<?> anchor, String name) {
    try (InputStream in = anchor.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalArgumentException("test resource not found: " + name);
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Follows object keys from {@code root}, e.g. {@code at(root, "cases", "x", "output")}. */
  @SuppressWarnings("unchecked")
  public static Object at(Object root, String... keys) {
    Object v = root;
    for (String k : keys) {
      if (!(v instanceof Map) || !((Map<String, Object>) v).containsKey(k)) {
        throw new IllegalArgumentException("no key '" + k + "' in path " + String.join(".", keys));
      }
      v = ((Map<String, Object>) v).get(k);
    }
    return v;
  }

  /** A JSON array of numbers as {@code double[]}. */
  public static double[] doubles(Object array) {
    List<?> list = (List<?>) array;
    double[] out = new double[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) list.get(i)).doubleValue();
    }
    return out;
  }

  private Object value() {
    skipSpace();
    if (pos >= s.length()) {
      throw error("unexpected end");
    }
    char c = s.charAt(pos);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        return number();
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> map = new LinkedHashMap<>();
    pos++;
    skipSpace();
    if (s.charAt(pos) == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipSpace();
      String key = string();
      skipSpace();
      expect(':');
      map.put(key, value());
      skipSpace();
      if (s.charAt(pos) == ',') {
        pos++;
      } else {
        expect('}');
        return map;
      }
    }
  }

  private List<Object> array() {
    List<Object> list = new ArrayList<>();
    pos++;
    skipSpace();
    if (s.charAt(pos) == ']') {
      pos++;
      return list;
    }
    while (true) {
      list.add(value());
      skipSpace();
      if (s.charAt(pos) == ',') {
        pos++;
      } else {
        expect(']');
        return list;
      }
    }
  }

  private String string() {
    expect('"');
    StringBuilder sb = new StringBuilder();
    while (s.charAt(pos) != '"') {
      char c = s.charAt(pos++);
      if (c == '\\') {
        char e = s.charAt(pos++);
        sb.append(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      } else {
        sb.append(c);
      }
    }
    pos++;
    return sb.toString();
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, pos)) {
      throw error("expected " + word);
    }
    pos += word.length();
    return v;
  }

  private Double number() {
    int start = pos;
    while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
      pos++;
    }
    if (start == pos) {
      throw error("unexpected character '" + s.charAt(pos) + "'");
    }
    return Double.valueOf(s.substring(start, pos));
  }

  private void expect(char c) {
    if (pos >= s.length() || s.charAt(pos) != c) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  private void skipSpace() {
    while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
      pos++;
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("JSON: " + what + " at offset " + pos);
  }
}
