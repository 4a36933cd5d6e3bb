package org.vssf.nn;

import org.vssf.autodiff.Tensor;

/** Modules applied in order; children are named {@code 0, 1, 2, …} unless named explicitly. */
public final class Sequential extends Module {
  private final java.util.ArrayList<Module> layers = new java.util.ArrayList<>();

  /** A sequence of the given modules, named by position. */
  public Sequential(Module... modules) {
    for (Module m : modules) {
      add(m);
    }
  }

  /** Appends {@code m} named by its position. */
  public Sequential add(Module m) {
    return add(Integer.toString(layers.size()), m);
  }

  /** Appends {@code m} under {@code name}. */
  public Sequential add(String name, Module m) {
    layers.add(registerModule(name, m));
    return this;
  }

  /** Number of layers. */
  public int size() {
    return layers.size();
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor h = x;
    for (Module m : layers) {
      h = m.forward(h);
    }
    return h;
  }
}
