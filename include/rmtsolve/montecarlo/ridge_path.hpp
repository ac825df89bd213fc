#pragma once
#include <Eigen/Dense>

#include "rmtsolve/montecarlo/readout.hpp"

namespace rmtsolve::mc {

/// One sampled ridge problem solved for every λ at once: a single eigen-decomposition of the Gram
/// matrix in the smaller of n and p (LAPACK), after which each λ costs O((n + n_test)·min(n, p)).
/// λ = 0 gives the minimum-norm interpolator.
class RidgePath {
 public:
  RidgePath(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, const Eigen::MatrixXd& F_test, const Eigen::VectorXd& y_test);
  ReadoutErrors errors(double lambda) const;
  /// Bytes held, to decide whether a sweep can afford to keep one per seed.
  static double bytes_needed(Eigen::Index n, Eigen::Index p, Eigen::Index n_test);

 private:
  Eigen::VectorXd s_;            // eigenvalues of the Gram matrix
  Eigen::VectorXd c_;            // projections of the labels on its eigenvectors
  Eigen::MatrixXd train_, test_; // predictions = train_ · (c / (s + λ)) etc.
  Eigen::VectorXd y_, y_test_;
};

}  // namespace rmtsolve::mc
