#pragma once
#include <Eigen/Dense>
#include <functional>

namespace rmtsolve {

/// Eigen-decomposition of a symmetric matrix by LAPACK's divide-and-conquer dsyevd (OpenBLAS):
/// several times faster than Eigen's own solver at the p ~ 10³ sizes of covariance inputs.
/// Eigenvalues ascending; eigenvectors as columns.
struct SymmetricEigen {
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;
};
SymmetricEigen symmetric_eigen(const Eigen::MatrixXd& A, bool with_vectors = true);

/// Marchenko–Pastur law of c·WWᵀ for W ∈ ℝ^{p×d} with unit-norm rows, β = p/d, including its atom of
/// mass 1 − 1/β at 0 when β > 1 (docs/theory/srf.md §2.2).  Stieltjes transform g(z) = ⟨1/(D − z)⟩ and its
/// derivative g′(z) = ⟨1/(D − z)²⟩ for real z < 0.
struct MarchenkoPastur {
  double c = 1.0, beta = 1.0;
  double stieltjes(double z) const;
  double stieltjes_derivative(double z, double g) const;  // g = stieltjes(z)
  /// ⟨F(D)⟩ over the law, atom included, by adaptive Gauss–Kronrod in the angle θ of
  /// D = (a+b)/2 + (b−a)/2 cos θ (the density's square-root edges become a smooth integrand).
  double average(const std::function<double(double)>& F) const;
};

}  // namespace rmtsolve
