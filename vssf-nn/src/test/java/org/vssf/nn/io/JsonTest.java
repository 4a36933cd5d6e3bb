package org.vssf.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vssf.testing.SeededTest;

/** The strict JSON parser and writer behind the safetensors header. */
class JsonTest extends SeededTest {

  private static Object parse(String s) throws Json.SyntaxException {
    return Json.parse(s);
  }

  private static String error(String s) {
    return assertThrows(Json.SyntaxException.class, () -> Json.parse(s), s).getMessage();
  }

  @Test
  void parsesAllValueTypes() throws Exception {
    Object v = parse(" {\"a\": [1, -2, 0, 3.5, -0.25e2, 1E3, true, false, null, \"x\"], \"b\": {}}\n");
    Map<?, ?> m = (Map<?, ?>) v;
    assertEquals(Arrays.asList("a", "b"), Arrays.asList(m.keySet().toArray()));
    List<?> a = (List<?>) m.get("a");
    assertEquals(1L, a.get(0));
    assertEquals(-2L, a.get(1));
    assertEquals(0L, a.get(2));
    assertEquals(3.5, a.get(3));
    assertEquals(-25.0, a.get(4));
    assertEquals(1000.0, a.get(5));
    assertEquals(Boolean.TRUE, a.get(6));
    assertEquals(Boolean.FALSE, a.get(7));
    assertNull(a.get(8));
    assertEquals("x", a.get(9));
    assertEquals(Collections.emptyMap(), m.get("b"));
    assertEquals(Collections.emptyList(), parse("[]"));
  }

  @Test
  void integersOutsideLongBecomeDoubles() throws Exception {
    assertEquals(Long.MAX_VALUE, parse("9223372036854775807"));
    assertEquals(Long.MIN_VALUE, parse("-9223372036854775808"));
    assertEquals(9.223372036854775808e18, parse("9223372036854775808"));
  }

  @Test
  void decodesEscapes() throws Exception {
    assertEquals("\"\\/\b\f\n\r\t\u00e9\u20ac", parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\""));
    assertEquals("\uD83D\uDE00", parse("\"\\ud83d\\ude00\""), "surrogate pair");
    assertEquals("a\uD83D\uDE00b", parse("\"a\uD83D\uDE00b\""), "raw pair");
    assertEquals("\u0000", parse("\"\\u0000\""));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", " ", "01", "-01", "+1", ".5", "1.", "1e", "1e+", "-", "--1", "0x10", "NaN", "Infinity",
      "1e999", "tru", "nul", "True", "'a'", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
      "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\ud83dx\"", "\"\uD83D\"",
      "\"a\nb\"", "\"\t\"", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{1:1}",
      "{\"a\":1}x", "[] []", "{\"a\":1,\"a\":2}", "// c\n1", "[1]\u0000", "\u00a01"
  })
  void rejectsInvalidJson(String text) {
    error(text);
  }

  @Test
  void errorsNamePosition() {
    assertEquals("duplicate key \"a\" at char 8", error("{\"a\":1, \"a\":2}"));
    assertEquals("leading zero in number at char 1", error("[01]"));
    assertEquals("trailing content after the JSON value at char 3", error("{} x"));
    assertEquals("unescaped control character '\\u000a' in string at char 2", error("\"a\n\""));
    assertEquals("unexpected end of input, expected ',' or ']' at char 2", error("[1"));
  }

  @Test
  @Timeout(10)
  void deepNestingIsRejectedWithoutStackOverflow() throws Exception {
    StringBuilder ok = new StringBuilder();
    for (int i = 0; i < Json.MAX_DEPTH; i++) {
      ok.append('[');
    }
    for (int i = 0; i < Json.MAX_DEPTH; i++) {
      ok.append(']');
    }
    parse(ok.toString());
    String deep = "[" + ok + "]";
    assertEquals("nesting deeper than 64 levels at char 64", error(deep));
    StringBuilder huge = new StringBuilder();
    for (int i = 0; i < 10_000; i++) {
      huge.append("{\"a\":[");
    }
    assertTrue(error(huge.toString()).startsWith("nesting deeper than 64 levels"));
  }

  @Test
  void writerEscapesAndRoundTrips() throws Exception {
    LinkedHashMap<String, Object> m = new LinkedHashMap<>();
    m.put("q\"b\\s/\b\f\n\r\t\u0001\u001f\u007f \u00e9\uD83D\uDE00", Arrays.asList(1L, -2L, 0L));
    m.put("", "v");
    String text = Json.write(m);
    assertEquals("{\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\u007f \u00e9\uD83D\uDE00\":[1,-2,0],"
        + "\"\":\"v\"}", text);
    assertEquals(m, parse(text));
    assertThrows(IllegalArgumentException.class, () -> Json.write("a\uD800b"));
    assertThrows(IllegalArgumentException.class, () -> Json.write("\uDC00"));
  }

  @Test
  void writerRoundTripsFiniteDoublesAndRejectsTheRest() throws Exception {
    double[] values = {0.0, -0.0, 1.0, -2.5, 1e-4, 0.1, 1e21, -3.0e-300, Double.MIN_VALUE,
        Double.MAX_VALUE, 0.998};
    for (double d : values) {
      String text = Json.write(d);
      assertEquals(d, parse(text), text);
    }
    for (int trial = 0; trial < 1000; trial++) {
      double d = Double.longBitsToDouble(rng.nextLong());
      if (Double.isFinite(d)) {
        assertEquals(Arrays.asList(d), parse(Json.write(Arrays.asList(d))), "double " + d + seedInfo());
      }
    }
    assertEquals("[0.5,1]", Json.write(Arrays.asList(0.5f, 1L)));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Float.NEGATIVE_INFINITY));
  }

  @Test
  void randomStringsRoundTrip() throws Exception {
    for (int trial = 0; trial < 2000; trial++) {
      StringBuilder sb = new StringBuilder();
      int n = rng.nextInt(12);
      for (int i = 0; i < n; i++) {
        int cp = rng.nextInt(4) == 0 ? rng.nextInt(0x80) : rng.nextInt(0x10FFFF + 1);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
          cp = 'x';
        }
        sb.appendCodePoint(cp);
      }
      String s = sb.toString();
      assertEquals(s, parse(Json.write(s)), "string " + Json.quote(s) + seedInfo());
    }
  }
}
