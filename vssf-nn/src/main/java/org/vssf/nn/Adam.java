package org.vssf.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vssf.autodiff.Tensor;

/**
 * Adam, and AdamW when a group has weight decay (decoupled, as in Loshchilov &amp; Hutter):
 *
 * <pre>
 *   g ← clip(g)                       (optional: global L2 norm over all enabled groups ≤ maxNorm)
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
 *   p ← p − f·lr_t·( m/(1−β₁ᵗ) / (√(v/(1−β₂ᵗ)) + ε) + λ·p )      (f: the group's factor, 1 by default)
 * </pre>
 *
 * A parameter with no gradient counts as a zero gradient (its moments still decay, its weight still
 * decays). Parameters come in named groups; a group can be frozen (skipped entirely, moments
 * untouched), e.g. to pre-train the decoder alone. The state (step count, moments) can be exported
 * and imported by parameter name, so a resumed run continues bitwise-identically.
 */
public final class Adam {
  /**
   * A named set of parameters with its own weight decay and learning-rate factor ({@code lr_t·f});
   * {@link #frozen} groups are skipped.
   */
  public static final class Group {
    final String name;
    final LinkedHashMap<String, Tensor> params;
    final float weightDecay;
    float rateFactor = 1f;
    boolean frozen;

    /** A group of {@code params} (by name) with decoupled weight decay {@code weightDecay ≥ 0}. */
    public Group(String name, Map<String, Tensor> params, float weightDecay) {
      if (!(weightDecay >= 0)) {
        throw new IllegalArgumentException("Adam group '" + name + "': weight decay must be >= 0, got "
            + weightDecay);
      }
      this.name = name;
      this.params = new LinkedHashMap<>(params);
      this.weightDecay = weightDecay;
    }

    /** Freezes ({@code true}) or unfreezes the group. */
    public Group frozen(boolean f) {
      this.frozen = f;
      return this;
    }

    /** Scales the group's learning rate by {@code f > 0} (1 by default): its steps are {@code f·lr_t}. */
    public Group rateFactor(float f) {
      if (!(f > 0) || !Float.isFinite(f)) {
        throw new IllegalArgumentException("Adam group '" + name + "': learning-rate factor must be finite and > 0, got "
            + f);
      }
      this.rateFactor = f;
      return this;
    }

    /** The group's learning-rate factor. */
    public float rateFactor() {
      return rateFactor;
    }

    /** Whether the group is frozen. */
    public boolean isFrozen() {
      return frozen;
    }

    /** The group's name. */
    public String name() {
      return name;
    }
  }

  private final List<Group> groups;
  private final LearningRate lr;
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float maxGradNorm;
  private final LinkedHashMap<String, float[]> m = new LinkedHashMap<>();
  private final LinkedHashMap<String, float[]> v = new LinkedHashMap<>();
  private long step;
  private double lastGradNorm = Double.NaN;

  /**
   * @param groups parameter groups (parameter names must be unique across groups)
   * @param lr learning-rate schedule
   * @param beta1 first-moment decay (0.9)
   * @param beta2 second-moment decay (0.999)
   * @param eps denominator offset (1e-8)
   * @param maxGradNorm global gradient-norm clip, or 0 for none
   */
  public Adam(List<Group> groups, LearningRate lr, float beta1, float beta2, float eps, float maxGradNorm) {
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(maxGradNorm >= 0)) {
      throw new IllegalArgumentException("Adam: need 0 <= beta1, beta2 < 1, eps > 0, maxGradNorm >= 0;"
          + " got " + beta1 + ", " + beta2 + ", " + eps + ", " + maxGradNorm);
    }
    this.groups = new ArrayList<>(groups);
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.maxGradNorm = maxGradNorm;
    for (Group g : this.groups) {
      for (Map.Entry<String, Tensor> e : g.params.entrySet()) {
        if (m.containsKey(e.getKey())) {
          throw new IllegalArgumentException("Adam: parameter '" + e.getKey() + "' is in two groups");
        }
        m.put(e.getKey(), new float[e.getValue().size()]);
        v.put(e.getKey(), new float[e.getValue().size()]);
      }
    }
  }

  /** AdamW over all parameters of {@code model} (β = 0.9, 0.999, ε = 1e-8). */
  public static Adam adamW(Module model, LearningRate lr, float weightDecay, float maxGradNorm) {
    List<Group> g = new ArrayList<>();
    g.add(new Group("all", model.namedParameters(), weightDecay));
    return new Adam(g, lr, 0.9f, 0.999f, 1e-8f, maxGradNorm);
  }

  /** The groups, in order. */
  public List<Group> groups() {
    return java.util.Collections.unmodifiableList(groups);
  }

  /** Steps taken so far. */
  public long step() {
    return step;
  }

  /** Global gradient norm seen by the last {@link #update()} (before clipping). */
  public double lastGradNorm() {
    return lastGradNorm;
  }

  /** One optimiser step over every unfrozen group, using the parameters' current gradients. */
  public void update() {
    double norm2 = 0;
    for (Group g : groups) {
      if (g.frozen) {
        continue;
      }
      for (Tensor p : g.params.values()) {
        float[] gr = p.grad();
        if (gr != null) {
          for (float x : gr) {
            norm2 += (double) x * x;
          }
        }
      }
    }
    lastGradNorm = Math.sqrt(norm2);
    if (!Double.isFinite(lastGradNorm)) {
      throw new ArithmeticException("Adam: gradient norm is " + lastGradNorm + " at step " + step
          + "; parameters left unchanged");
    }
    float clip = maxGradNorm > 0 && lastGradNorm > maxGradNorm ? (float) (maxGradNorm / lastGradNorm) : 1f;
    step++;
    float rate = lr.at(step - 1);
    double c1 = 1 - Math.pow(beta1, step);
    double c2 = 1 - Math.pow(beta2, step);
    for (Group g : groups) {
      if (g.frozen) {
        continue;
      }
      double groupRate = (double) rate * g.rateFactor;
      for (Map.Entry<String, Tensor> e : g.params.entrySet()) {
        Tensor p = e.getValue();
        float[] w = p.data();
        float[] gr = p.grad();
        float[] mm = m.get(e.getKey());
        float[] vv = v.get(e.getKey());
        for (int i = 0; i < w.length; i++) {
          float gi = gr == null ? 0f : gr[i] * clip;
          mm[i] = beta1 * mm[i] + (1 - beta1) * gi;
          vv[i] = beta2 * vv[i] + (1 - beta2) * gi * gi;
          double mhat = mm[i] / c1;
          double vhat = vv[i] / c2;
          w[i] -= (float) (groupRate * (mhat / (Math.sqrt(vhat) + eps) + g.weightDecay * w[i]));
        }
      }
    }
  }

  /** Clears moments and the step count (e.g. after pre-training, as the reference does). */
  public void reset() {
    for (float[] a : m.values()) {
      java.util.Arrays.fill(a, 0f);
    }
    for (float[] a : v.values()) {
      java.util.Arrays.fill(a, 0f);
    }
    step = 0;
  }

  /**
   * Multiplies the first moment of parameter {@code name} elementwise by {@code factors}: after a
   * reparametrisation that negates some of a parameter's entries (θ → Dθ with D = diag(±1)), the
   * moments stay those of the same trajectory in the new coordinates (m → Dm; v = m² is unchanged).
   */
  public void reflectFirstMoment(String name, float[] factors) {
    float[] a = m.get(name);
    if (a == null) {
      throw new IllegalArgumentException("Adam.reflectFirstMoment: no parameter '" + name + "'");
    }
    if (factors.length != a.length) {
      throw new IllegalArgumentException("Adam.reflectFirstMoment: '" + name + "' has " + a.length
          + " values, got " + factors.length + " factors");
    }
    for (int i = 0; i < a.length; i++) {
      a[i] *= factors[i];
    }
  }

  /**
   * Moves the moments of parameter {@code name} with a signed permutation of its entries (θ'_k =
   * factor_k·θ_{index_k}, factors ±1): m'_k = factor_k·m_{index_k}, v'_k = v_{index_k}, so the
   * moments stay those of the same trajectory in the new coordinates.
   */
  public void permuteMoments(String name, int[] index, float[] factor) {
    float[] a = m.get(name);
    if (a == null) {
      throw new IllegalArgumentException("Adam.permuteMoments: no parameter '" + name + "'");
    }
    if (index.length != a.length || factor.length != a.length) {
      throw new IllegalArgumentException("Adam.permuteMoments: '" + name + "' has " + a.length + " values, got "
          + index.length + " indices and " + factor.length + " factors");
    }
    float[] b = v.get(name);
    float[] oldM = a.clone();
    float[] oldV = b.clone();
    for (int k = 0; k < a.length; k++) {
      a[k] = factor[k] * oldM[index[k]];
      b[k] = oldV[index[k]];
    }
  }

  /** The state by name: {@code m.<param>} and {@code v.<param>} arrays (copies); the step is {@link #step()}. */
  public LinkedHashMap<String, float[]> exportState() {
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : m.entrySet()) {
      out.put("m." + e.getKey(), e.getValue().clone());
    }
    for (Map.Entry<String, float[]> e : v.entrySet()) {
      out.put("v." + e.getKey(), e.getValue().clone());
    }
    return out;
  }

  /**
   * Restores a state written by {@link #exportState()}; every parameter's moments must be present
   * with the right length, and every mismatch is reported at once.
   */
  public void importState(Map<String, float[]> state, long stepCount) {
    if (stepCount < 0) {
      throw new IllegalArgumentException("Adam.importState: negative step " + stepCount);
    }
    List<String> problems = new ArrayList<>();
    for (String kind : new String[] {"m.", "v."}) {
      for (Map.Entry<String, float[]> e : (kind.equals("m.") ? m : v).entrySet()) {
        float[] s = state.get(kind + e.getKey());
        if (s == null) {
          problems.add("missing " + kind + e.getKey());
        } else if (s.length != e.getValue().length) {
          problems.add(kind + e.getKey() + " has " + s.length + " values, expected " + e.getValue().length);
        }
      }
    }
    for (String k : state.keySet()) {
      String name = k.length() > 2 ? k.substring(2) : k;
      if (!(k.startsWith("m.") || k.startsWith("v.")) || !m.containsKey(name)) {
        problems.add("unexpected " + k);
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("Adam.importState: " + String.join("; ", problems));
    }
    for (Map.Entry<String, float[]> e : m.entrySet()) {
      System.arraycopy(state.get("m." + e.getKey()), 0, e.getValue(), 0, e.getValue().length);
    }
    for (Map.Entry<String, float[]> e : v.entrySet()) {
      System.arraycopy(state.get("v." + e.getKey()), 0, e.getValue(), 0, e.getValue().length);
    }
    step = stepCount;
  }
}
