#pragma once
#include <Eigen/Dense>
#include <functional>
#include <vector>

namespace rmtsolve {

/// Warm starts along a sweep, for models whose per-point solve iterates a fixed-point state x of a
/// fixed size.  `warm` (the sweep's per-model memory) holds the states of up to `remembered`
/// previous points, newest first, each followed by that point's numeric parameters.
///
/// When the sweep moved one number alone through them, forward and evenly spaced, the start is
/// their Lagrange extrapolation to this point: an O(h^k) guess from k points instead of the
/// previous point's O(h) (a 100-point srf-class η̃ curve: 1383 iterations instead of 1997,
/// equations/srf_glm/README.md).  Otherwise, or when the guess is not `admissible`, the previous
/// state; empty when nothing is remembered.  The converged values do not depend on the start
/// beyond the solver's tolerance.
Eigen::VectorXd extrapolated_start(const std::vector<double>& warm, Eigen::Index state_size, const std::vector<double>& numbers,
                                   const std::function<bool(const Eigen::VectorXd&)>& admissible);

/// Records this point's converged state `x` (empty or of the wrong size: forget everything, so a
/// failed point never seeds the next) and its numbers, keeping at most `remembered` points.
void remember_state(std::vector<double>& warm, Eigen::Index state_size, const std::vector<double>& numbers,
                    const Eigen::VectorXd& x, size_t remembered = 5);

}  // namespace rmtsolve
