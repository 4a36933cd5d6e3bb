/**
 * Environments for data sets: the data-generating dynamics ({@link org.vssf.bench.env.Dynamics},
 * closed-loop linear-Gaussian with a stationary prior) and renderers from state to uint8 RGB
 * image — the pendulum rasteriser, and the ray-cast block world and foggy pillars. Everything is
 * deterministic for a seed and bitwise reproducible: float arithmetic and {@link
 * java.lang.StrictMath} only, no AWT.
 */
package org.vssf.bench.env;
