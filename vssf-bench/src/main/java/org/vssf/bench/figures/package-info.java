/**
 * PNG figures of runs ({@link org.vssf.bench.figures.Figures}), drawn headless with XChart and
 * written atomically into {@code RUN/figures/}.
 */
package org.vssf.bench.figures;
