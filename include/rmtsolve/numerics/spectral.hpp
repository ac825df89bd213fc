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

/// Eigenvalues ω_j of the symmetric p×p A (ascending) and, for a k×p matrix B, the squared norms
/// ‖B u_j‖² of its projections on the eigenvectors u_j, without forming the u_j: A = Q T Qᵀ
/// (LAPACK dsytrd), T = Z Λ Zᵀ (dstedc), B u_j = (B Q) z_j.  The same factorisations as dsyevd,
/// whose last step Q Z (2p³ flops) is replaced by B Q (2kp²).  With `keep_projections` the k×p
/// matrix of the B u_j themselves (column j) is kept too, at no extra cost.
struct ProjectedSpectrum {
  Eigen::VectorXd values, weights;
  Eigen::MatrixXd projections;  // B u_j as column j; empty unless asked for
};
ProjectedSpectrum projected_spectrum(Eigen::MatrixXd A, const Eigen::MatrixXd& B, bool keep_projections = false);

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
