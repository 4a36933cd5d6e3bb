/**
 * float32 kernels on row-major {@code float[]} with offsets (usable on EJML {@code FMatrixRMaj}
 * data): GEMM {@code C = α·op(A)·op(B) + β·C}, NCHW convolution and its gradients, batched small
 * SPD algebra (Cholesky, triangular solves, log-determinants, computed in double), and the
 * elementwise kernels the layers need. {@link org.vssf.linalg.Kernels} is the validating entry
 * point; {@link org.vssf.linalg.KernelProvider} picks the scalar or the Vector API implementation;
 * {@link org.vssf.linalg.Parallel} is the library's own deterministic worker pool.
 */
package org.vssf.linalg;
