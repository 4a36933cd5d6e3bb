/**
 * The application and the JMH benchmark suite ({@code vssf-bench/target/benchmarks.jar}): kernel
 * and model benchmarks here; environments in {@code org.vssf.bench.env}, data-set files in
 * {@code org.vssf.bench.data} and the {@code vssf} command line in {@code org.vssf.bench.cli}.
 */
package org.vssf.bench;
