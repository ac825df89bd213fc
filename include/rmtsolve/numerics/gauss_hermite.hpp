#pragma once
#include <Eigen/Dense>

namespace rmtsolve {

/// Gauss–Hermite rule for E f(z), z ~ N(0,1): E f ≈ Σ_i weight_i f(node_i).  Exact for polynomials
/// of degree ≤ 2n − 1; spectrally accurate for smooth integrands (nodes and weights from GSL).
struct GaussHermiteRule {
  Eigen::VectorXd node, weight;
};
GaussHermiteRule gauss_hermite(int n);

/// The same rule built once per n for the whole process and shared (thread-safe): for solvers that
/// integrate with one fixed rule at every iteration of every point.  The reference stays valid.
const GaussHermiteRule& shared_gauss_hermite(int n);

}  // namespace rmtsolve
