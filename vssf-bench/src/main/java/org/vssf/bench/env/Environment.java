package org.vssf.bench.env;

import java.util.Locale;

/**
 * The environments a data set can be generated from: each pairs the reference setup's dynamics
 * ({@link Dynamics}) with a renderer from state to image.
 */
public enum Environment {
  /** Pendulum, state (θ, θ̇), one control; {@link PendulumRenderer}. */
  PENDULUM(2),
  /** Camera over blocks, state (x, y, ẋ, ẏ), two controls; {@link BlockWorldRenderer}. */
  BLOCKS(4),
  /** Camera among foggy pillars, same dynamics as {@link #BLOCKS}; {@link PillarsRenderer}. */
  PILLARS(4);

  /** Scene seed used when none is given: the layout everyone gets by default. */
  public static final long DEFAULT_SCENE_SEED = 7;

  private final int stateDim;

  Environment(int stateDim) {
    this.stateDim = stateDim;
  }

  /** Lower-case name as used on the command line and in {@code dataset.json}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The environment called {@code id} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the known environments
   */
  public static Environment of(String id) {
    for (Environment e : values()) {
      if (e.id().equalsIgnoreCase(id)) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown environment '" + id
        + "' (choose pendulum, blocks or pillars)");
  }

  /** State dimension m the renderer expects. */
  public int stateDim() {
    return stateDim;
  }

  /** The reference setup's dynamics for this environment. */
  public Dynamics defaultDynamics() {
    return this == PENDULUM ? Dynamics.pendulum() : Dynamics.blocks();
  }

  /** Whether the scene layout depends on a scene seed. */
  public boolean hasScene() {
    return this != PENDULUM;
  }

  /** A renderer of {@code size × size} images; {@code sceneSeed} is ignored by the pendulum. */
  public Renderer renderer(int size, long sceneSeed) {
    switch (this) {
      case PENDULUM:
        return new PendulumRenderer(size);
      case BLOCKS:
        return new BlockWorldRenderer(size, sceneSeed);
      default:
        return new PillarsRenderer(size, sceneSeed);
    }
  }
}
