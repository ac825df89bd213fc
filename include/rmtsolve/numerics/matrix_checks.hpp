#pragma once
#include <Eigen/Dense>
#include <string>

namespace rmtsolve {

/// A covariance read from a file: square and symmetric to 1e-8 relative to its largest entry,
/// else InvalidInput naming `parameter` (every model that takes a covariance checks it the same way).
void require_symmetric(const Eigen::MatrixXd& M, const std::string& parameter);

/// A list of eigenvalues read from a file: one column or one row, else InvalidInput (a matrix must
/// not be flattened into a spectrum silently).
Eigen::VectorXd require_vector(const Eigen::MatrixXd& M, const std::string& parameter);

/// Whether the symmetric M is positive semi-definite up to `shift`: M + shift·I has a Cholesky
/// factor exactly when every eigenvalue of M exceeds −shift (LAPACK dpotrf; its round-off,
/// ~n·ε·‖M‖, must be far below `shift`).  A third of the work of an eigenvalue decomposition, for
/// a check that needs no eigenvalues.
bool positive_semidefinite_by_cholesky(Eigen::MatrixXd M, double shift);

/// The same test for a joint covariance M = [[Ψ, Φ], [Φᵀ, Ω]] (Ψ k×k, Ω p×p), M + shift·I ≻ 0,
/// made in Ω's eigenbasis from what a spectral decomposition of Ω already gives — its eigenvalues
/// ω_j and the projections g_j = Φ u_j (column j of `projections`, k×p) — instead of a Cholesky
/// factorisation of the assembled (k+p)×(k+p) matrix.  With D = diag(ω) + shift·I, M + shift·I is
/// similar to [[Ψ + shift·I, G], [Gᵀ, D]], positive definite iff D ≻ 0 (every ω_j > −shift) and the
/// Schur complement Ψ + shift·I − G D⁻¹ Gᵀ ≻ 0 (one syrk and a k×k Cholesky: k²p + k³/3 flops
/// against (k+p)³/3).  A component of Φ on Ω's numerical null space (ω_j ≈ 0, g_j ≠ 0) enters with
/// weight 1/shift and fails the second test, as it fails the factorisation of M.  This is block
/// Cholesky of the permuted similar matrix, so the round-off is again ~(k+p)·ε·‖M‖, plus the
/// decomposition's own backward error (~p·ε·‖Ω‖): both far below a shift of 1e-8·‖M‖.
bool joint_positive_semidefinite(const Eigen::MatrixXd& Psi, const Eigen::VectorXd& omega,
                                 const Eigen::MatrixXd& projections, double shift);

}  // namespace rmtsolve
