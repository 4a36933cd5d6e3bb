package org.vssf.filter;

import java.util.List;
import org.vssf.autodiff.LinalgOps;
import org.vssf.autodiff.Tensor;

/**
 * The information filter's output per step t (0-based): {@code filteredPrecision} Λ_{t|t} [B, m,
 * m], {@code filteredInfo} η_{t|t} [B, m, 1], its lower Cholesky factor, and the mean μ_{t|t} =
 * Λ⁻¹η [B, m, 1]. Covariances P_{t|t} = Λ⁻¹ are computed on request.
 */
public final class FilterResult {
  private final List<Tensor> precision;
  private final List<Tensor> info;
  private final List<Tensor> precisionChol;
  private final List<Tensor> mean;

  FilterResult(List<Tensor> precision, List<Tensor> info, List<Tensor> precisionChol, List<Tensor> mean) {
    this.precision = List.copyOf(precision);
    this.info = List.copyOf(info);
    this.precisionChol = List.copyOf(precisionChol);
    this.mean = List.copyOf(mean);
  }

  /** Number of steps T. */
  public int steps() {
    return mean.size();
  }

  /** Λ_{t|t}, [B, m, m]. */
  public Tensor filteredPrecision(int t) {
    return precision.get(t);
  }

  /** η_{t|t}, [B, m, 1]. */
  public Tensor filteredInfo(int t) {
    return info.get(t);
  }

  /** Lower Cholesky factor of Λ_{t|t}, [B, m, m]. */
  public Tensor filteredPrecisionChol(int t) {
    return precisionChol.get(t);
  }

  /** μ_{t|t}, [B, m, 1]. */
  public Tensor filteredMean(int t) {
    return mean.get(t);
  }

  /** P_{t|t} = Λ_{t|t}⁻¹ via the Cholesky factor, [B, m, m]. */
  public Tensor filteredCov(int t) {
    Tensor l = precisionChol.get(t);
    int[] s = l.shape();
    Tensor eye = InformationFilter.expand(
        org.vssf.autodiff.Tensor.wrap(LinearGaussianDynamics.identity(s[1]), s[1], s[1]), s[0]);
    Tensor linv = LinalgOps.solveTriangular(l, eye, true, false);
    return LinalgOps.matmul(org.vssf.autodiff.Ops.transpose(linv), linv);
  }
}
