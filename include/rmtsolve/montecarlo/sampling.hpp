#pragma once
#include <Eigen/Dense>
#include <random>

#include "rmtsolve/activation.hpp"

namespace rmtsolve::mc {

/// rows × cols matrix of i.i.d. N(0, scale²) entries.
Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng, double scale = 1.0);

/// rows × cols matrix whose rows are i.i.d. uniform on the unit sphere of ℝ^cols.
Eigen::MatrixXd unit_rows(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng);

/// σ applied entrywise, in place.
void apply_activation(const Activation& sigma, Eigen::MatrixXd& A);
void apply_activation(const Activation& sigma, Eigen::MatrixXf& A);

/// Features σ(X Wᵀ)·scale, with the product and σ in double or, for the float32 Monte Carlo path,
/// in single precision (sgemm: twice the throughput; the result is returned in double, and
/// everything downstream — Gram, factorisation, errors — stays in double).
Eigen::MatrixXd activated_product(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, const Eigen::MatrixXf& W_single,
                                  const Activation& sigma, double scale, bool single_precision);

}  // namespace rmtsolve::mc
