package org.vssf.nn.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, small JSON parser and writer (RFC 8259) for safetensors headers and the application's
 * small JSON files (data-set descriptions, configurations).
 *
 * <p>Parsing is recursive descent over a {@link String}: objects become {@code
 * LinkedHashMap<String, Object>} (key order kept), arrays {@code List<Object>}, strings {@link
 * String}, {@code true}/{@code false} {@link Boolean}, {@code null} {@code null}, and numbers a
 * {@link Long} when written as an integer without fraction or exponent that fits in 64 bits,
 * otherwise a finite {@link Double}. It rejects everything RFC 8259 rejects (leading zeros, {@code
 * +1}, {@code .5}, unescaped control characters, single quotes, comments, trailing commas, trailing
 * content) and additionally duplicate object keys, unpaired UTF-16 surrogates (raw or escaped),
 * numbers outside the {@code double} range, and nesting deeper than {@link #MAX_DEPTH}, so that a
 * hostile header can neither blow the stack nor smuggle in a second value for a key. The input is
 * data only: nothing in it is ever evaluated.
 */
public final class Json {
  /** Deepest allowed nesting of arrays and objects (the top-level value is depth 1). */
  public static final int MAX_DEPTH = 64;

  /** A syntax error, with the 0-based char position in the parsed text. */
  public static final class SyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Char position of the error in the parsed text. */
    public final int position;

    SyntaxException(String problem, int position) {
      super(problem + " at char " + position);
      this.position = position;
    }
  }

  private final String s;
  private int pos;

  private Json(String s) {
    this.s = s;
  }

  /** Parses {@code text} as exactly one JSON value surrounded by optional whitespace. */
  public static Object parse(String text) throws SyntaxException {
    Json p = new Json(text);
    p.skipWhitespace();
    Object value = p.value(1);
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw new SyntaxException("trailing content after the JSON value", p.pos);
    }
    return value;
  }

  private Object value(int depth) throws SyntaxException {
    if (pos >= s.length()) {
      throw new SyntaxException("unexpected end of input, expected a value", pos);
    }
    char c = s.charAt(pos);
    switch (c) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        literal("true");
        return Boolean.TRUE;
      case 'f':
        literal("false");
        return Boolean.FALSE;
      case 'n':
        literal("null");
        return null;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw new SyntaxException("unexpected " + describe(c) + ", expected a value", pos);
    }
  }

  private Map<String, Object> object(int depth) throws SyntaxException {
    checkDepth(depth);
    pos++; // '{'
    LinkedHashMap<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw unexpected("a string key");
      }
      int keyPos = pos;
      String key = string();
      if (map.containsKey(key)) {
        throw new SyntaxException("duplicate key " + quote(key), keyPos);
      }
      skipWhitespace();
      expect(':');
      skipWhitespace();
      map.put(key, value(depth + 1));
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == '}') {
        pos++;
        return map;
      } else {
        throw unexpected("',' or '}'");
      }
    }
  }

  private List<Object> array(int depth) throws SyntaxException {
    checkDepth(depth);
    pos++; // '['
    ArrayList<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth + 1));
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == ']') {
        pos++;
        return list;
      } else {
        throw unexpected("',' or ']'");
      }
    }
  }

  private void checkDepth(int depth) throws SyntaxException {
    if (depth > MAX_DEPTH) {
      throw new SyntaxException("nesting deeper than " + MAX_DEPTH + " levels", pos);
    }
  }

  private String string() throws SyntaxException {
    int start = pos;
    pos++; // opening quote
    StringBuilder sb = null;
    int runStart = pos;
    while (true) {
      if (pos >= s.length()) {
        throw new SyntaxException("unterminated string starting", start);
      }
      char c = s.charAt(pos);
      if (c == '"') {
        String out = sb == null ? s.substring(runStart, pos) : sb.append(s, runStart, pos).toString();
        pos++;
        return out;
      }
      if (c < 0x20) {
        throw new SyntaxException(
            "unescaped control character '" + printable(c) + "' in string", pos);
      }
      if (Character.isHighSurrogate(c)) {
        if (pos + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(pos + 1))) {
          throw new SyntaxException("unpaired UTF-16 surrogate in string", pos);
        }
        pos += 2;
        continue;
      }
      if (Character.isLowSurrogate(c)) {
        throw new SyntaxException("unpaired UTF-16 surrogate in string", pos);
      }
      if (c != '\\') {
        pos++;
        continue;
      }
      if (sb == null) {
        sb = new StringBuilder();
      }
      sb.append(s, runStart, pos);
      int escPos = pos;
      pos++;
      if (pos >= s.length()) {
        throw new SyntaxException("unterminated escape sequence", escPos);
      }
      char e = s.charAt(pos++);
      switch (e) {
        case '"':
          sb.append('"');
          break;
        case '\\':
          sb.append('\\');
          break;
        case '/':
          sb.append('/');
          break;
        case 'b':
          sb.append('\b');
          break;
        case 'f':
          sb.append('\f');
          break;
        case 'n':
          sb.append('\n');
          break;
        case 'r':
          sb.append('\r');
          break;
        case 't':
          sb.append('\t');
          break;
        case 'u': {
          char u = hex4(escPos);
          if (Character.isHighSurrogate(u)) {
            if (pos + 6 > s.length() || s.charAt(pos) != '\\' || s.charAt(pos + 1) != 'u') {
              throw new SyntaxException("unpaired UTF-16 surrogate escape", escPos);
            }
            int lowPos = pos;
            pos += 2;
            char low = hex4(lowPos);
            if (!Character.isLowSurrogate(low)) {
              throw new SyntaxException("unpaired UTF-16 surrogate escape", escPos);
            }
            sb.append(u).append(low);
          } else if (Character.isLowSurrogate(u)) {
            throw new SyntaxException("unpaired UTF-16 surrogate escape", escPos);
          } else {
            sb.append(u);
          }
          break;
        }
        default:
          throw new SyntaxException("invalid escape sequence \\" + printable(e), escPos);
      }
      runStart = pos;
    }
  }

  /** Reads the 4 hex digits after a backslash-u at {@link #pos}. */
  private char hex4(int escPos) throws SyntaxException {
    if (pos + 4 > s.length()) {
      throw new SyntaxException("truncated \\u escape", escPos);
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      char h = s.charAt(pos + i);
      int d = h >= '0' && h <= '9' ? h - '0'
          : h >= 'a' && h <= 'f' ? h - 'a' + 10
          : h >= 'A' && h <= 'F' ? h - 'A' + 10
          : -1;
      if (d < 0) {
        throw new SyntaxException("invalid \\u escape", escPos);
      }
      v = (v << 4) | d;
    }
    pos += 4;
    return (char) v;
  }

  private Object number() throws SyntaxException {
    int start = pos;
    boolean integral = true;
    if (peek() == '-') {
      pos++;
    }
    char c = peek();
    if (c == '0') {
      pos++;
      if (isDigit(peek())) {
        throw new SyntaxException("leading zero in number", start);
      }
    } else if (isDigit(c)) {
      while (isDigit(peek())) {
        pos++;
      }
    } else {
      throw unexpected("a digit");
    }
    if (peek() == '.') {
      integral = false;
      pos++;
      if (!isDigit(peek())) {
        throw unexpected("a digit after '.'");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    c = peek();
    if (c == 'e' || c == 'E') {
      integral = false;
      pos++;
      c = peek();
      if (c == '+' || c == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw unexpected("a digit in the exponent");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    String text = s.substring(start, pos);
    if (integral) {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException tooBig) {
        // falls through to double: an integer outside the 64-bit range
      }
    }
    double d = Double.parseDouble(text);
    if (Double.isInfinite(d)) {
      throw new SyntaxException("number " + abbreviate(text) + " outside the double range", start);
    }
    return d;
  }

  private void literal(String word) throws SyntaxException {
    if (!s.startsWith(word, pos)) {
      throw new SyntaxException("invalid literal, expected " + word, pos);
    }
    pos += word.length();
  }

  private void expect(char c) throws SyntaxException {
    if (peek() != c) {
      throw unexpected("'" + c + "'");
    }
    pos++;
  }

  /** The char at {@link #pos}, or U+FFFF at the end of the input. */
  private char peek() {
    return pos < s.length() ? s.charAt(pos) : '\uFFFF';
  }

  private SyntaxException unexpected(String expected) {
    String found = pos < s.length() ? describe(s.charAt(pos)) : "end of input";
    return new SyntaxException("unexpected " + found + ", expected " + expected, pos);
  }

  private void skipWhitespace() {
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static String describe(char c) {
    return "character '" + printable(c) + "'";
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }

  // ---------------------------------------------------------------------------------- writing

  /**
   * Appends {@code value} as compact JSON (no whitespace): {@link Map} with {@link String} keys
   * (iteration order), {@link List}, {@link String}, {@link Long}/{@link Integer}, finite {@link
   * Double}/{@link Float} (shortest round-trip decimal of the double, e.g. {@code 1.0E-4}, which
   * is valid JSON and parses back to the same double), {@link Boolean}, {@code null}.
   *
   * @throws IllegalArgumentException for other types, NaN or infinite numbers, or strings with
   *     unpaired surrogates
   */
  public static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String) {
      writeString((String) value, out);
    } else if (value instanceof Long || value instanceof Integer) {
      out.append(((Number) value).longValue());
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException("JSON has no representation for " + d);
      }
      out.append(d);
    } else if (value instanceof Boolean) {
      out.append(((Boolean) value).booleanValue());
    } else if (value instanceof Map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        if (!(e.getKey() instanceof String)) {
          throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
        }
        writeString((String) e.getKey(), out);
        out.append(':');
        write(e.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof List) {
      out.append('[');
      boolean first = true;
      for (Object o : (List<?>) value) {
        if (!first) {
          out.append(',');
        }
        first = false;
        write(o, out);
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException(
          "cannot write " + value.getClass().getName() + " as JSON");
    }
  }

  /** {@code value} as compact JSON text; see {@link #write(Object, StringBuilder)}. */
  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(value, sb);
    return sb.toString();
  }

  /**
   * Appends {@code str} as a JSON string literal: {@code "} and {@code \} escaped, control
   * characters as {@code \b \f \n \r \t} or a six-character unicode escape, everything else
   * (including non-ASCII) verbatim, to be encoded as UTF-8.
   *
   * @throws IllegalArgumentException if {@code str} holds an unpaired UTF-16 surrogate, which
   *     has no UTF-8 encoding
   */
  public static void writeString(String str, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < str.length(); i++) {
      char c = str.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else if (Character.isHighSurrogate(c)
              && i + 1 < str.length()
              && Character.isLowSurrogate(str.charAt(i + 1))) {
            out.append(c).append(str.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            throw new IllegalArgumentException(
                "string " + quote(str) + " holds an unpaired UTF-16 surrogate at index " + i);
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }

  /** {@code str} quoted and escaped for an error message (shortened past 60 chars). */
  public static String quote(String str) {
    StringBuilder sb = new StringBuilder("\"");
    int n = Math.min(str.length(), 60);
    for (int i = 0; i < n; i++) {
      char c = str.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (str.length() > n) {
      sb.append("...");
    }
    return sb.append('"').toString();
  }
}
