/**
 * Data-set files: a strict reader and a NumPy-identical writer of {@code .npy} arrays ({@link
 * org.vssf.bench.data.NpyFile}, {@link org.vssf.bench.data.Npy}), data-set directories ({@link
 * org.vssf.bench.data.DataSet}, {@link org.vssf.bench.data.DataSetInfo}) and their generation
 * from an environment ({@link org.vssf.bench.data.DataSetGenerator}). The format is documented in
 * {@code docs/data-format.md}.
 */
package org.vssf.bench.data;
