/**
 * The {@code vssf} command line ({@link org.vssf.bench.cli.Vssf}), built with picocli: one
 * top-level command and a subcommand per task.
 */
package org.vssf.bench.cli;
