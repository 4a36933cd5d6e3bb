package org.vssf.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vssf.autodiff.Tensor;

/**
 * A network component with named parameters (trainable tensors), buffers (state such as running
 * averages, not trained) and child modules, forming a hierarchy whose dotted paths name every
 * tensor ({@code encoder.block1.conv.weight}). Registration order is kept, so iteration and files
 * are deterministic.
 */
public abstract class Module {
  private final LinkedHashMap<String, Tensor> params = new LinkedHashMap<>();
  private final LinkedHashMap<String, Tensor> buffers = new LinkedHashMap<>();
  private final LinkedHashMap<String, Module> children = new LinkedHashMap<>();
  private boolean training = true;

  /** Applies the module to {@code x}. */
  public abstract Tensor forward(Tensor x);

  /** Registers a trainable parameter (marked {@code requiresGrad}) and returns it. */
  protected final Tensor registerParameter(String name, Tensor value) {
    checkName(name);
    value.requiresGrad(true);
    params.put(name, value);
    return value;
  }

  /** Registers a buffer (saved with the model, not trained) and returns it. */
  protected final Tensor registerBuffer(String name, Tensor value) {
    checkName(name);
    buffers.put(name, value);
    return value;
  }

  /** Replaces the value of an existing buffer (e.g. updated running statistics). */
  protected final void setBuffer(String name, Tensor value) {
    if (!buffers.containsKey(name)) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": no buffer '" + name + "'");
    }
    buffers.put(name, value);
  }

  /** The current value of buffer {@code name}. */
  protected final Tensor buffer(String name) {
    return buffers.get(name);
  }

  /** Registers a child module and returns it. */
  protected final <M extends Module> M registerModule(String name, M child) {
    checkName(name);
    children.put(name, child);
    return child;
  }

  private void checkName(String name) {
    if (name == null || name.isEmpty() || name.contains(".")) {
      throw new IllegalArgumentException(getClass().getSimpleName()
          + ": names must be non-empty and contain no '.', got '" + name + "'");
    }
    if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' already used");
    }
  }

  /** All parameters by dotted path, in registration order (own first, then children's). */
  public final Map<String, Tensor> namedParameters() {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    collect("", out, false);
    return Collections.unmodifiableMap(out);
  }

  /** All buffers by dotted path. */
  public final Map<String, Tensor> namedBuffers() {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    collect("", out, true);
    return Collections.unmodifiableMap(out);
  }

  private void collect(String prefix, Map<String, Tensor> out, boolean wantBuffers) {
    for (Map.Entry<String, Tensor> e : (wantBuffers ? buffers : params).entrySet()) {
      out.put(prefix + e.getKey(), e.getValue());
    }
    for (Map.Entry<String, Module> e : children.entrySet()) {
      e.getValue().collect(prefix + e.getKey() + ".", out, wantBuffers);
    }
  }

  /** All parameters in registration order. */
  public final List<Tensor> parameters() {
    return new ArrayList<>(namedParameters().values());
  }

  /** The direct children by name. */
  public final Map<String, Module> children() {
    return Collections.unmodifiableMap(children);
  }

  /** Sets training ({@code true}) or evaluation mode on this module and all descendants. */
  public final Module train(boolean on) {
    training = on;
    for (Module c : children.values()) {
      c.train(on);
    }
    return this;
  }

  /** Evaluation mode (batch norm uses running statistics). */
  public final Module eval() {
    return train(false);
  }

  /** Whether the module is in training mode. */
  public final boolean isTraining() {
    return training;
  }

  /** Drops the gradients of all parameters. */
  public final void zeroGrad() {
    for (Tensor p : namedParameters().values()) {
      p.zeroGrad();
    }
  }

  /** Total number of parameter elements. */
  public final long parameterCount() {
    long n = 0;
    for (Tensor p : namedParameters().values()) {
      n += p.size();
    }
    return n;
  }

  /** Replaces the buffer at a dotted path (e.g. {@code block1.1.mean_hidden}), for loaders. */
  final void replaceBuffer(String path, Tensor value) {
    int dot = path.indexOf('.');
    if (dot < 0) {
      setBuffer(path, value);
      return;
    }
    Module child = children.get(path.substring(0, dot));
    if (child == null) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": no child '" + path.substring(0, dot) + "'");
    }
    child.replaceBuffer(path.substring(dot + 1), value);
  }
}
