#pragma once
#include <Eigen/Dense>
#include <functional>

#include "rmtsolve/core/summary.hpp"

namespace rmtsolve {

/// A self-consistent map x ↦ G(x) of a few order parameters.  It writes G(x) into `out`, which the
/// engine owns and reuses, so the map need not allocate.
using FixedPointMap = std::function<void(const Eigen::VectorXd& x, Eigen::VectorXd& out)>;

/// The physical domain of the order parameters (e.g. V ≥ 0).  Accelerated steps may leave it and
/// find spurious fixed points there; such steps are replaced by plain damped steps.
using Admissible = std::function<bool(const Eigen::VectorXd& x)>;

/// Solves x = G(x) from the initial guess in `x` (a warm start, e.g. the previous grid point):
///  1. damped iteration x ← (1−δ)G(x) + δx with Anderson acceleration (memory m, Walker–Ni type II,
///     least squares by Eigen's column-pivoting QR); a step that produces non-finite values is
///     undone and replaced by a plain damped step from the best iterate, and a tenfold increase of
///     the residual discards the acceleration history;
///  2. if that fails and `multiroot_fallback` is set, GSL's hybrid Powell solver on G(x) − x from
///     the best iterate seen.
/// If `admissible` is given, every accepted iterate and the final answer lie in that domain.
/// Convergence: ‖G(x) − x‖∞ ≤ tolerance · max(1, ‖x‖∞).  On failure, `x` holds the best iterate
/// and the summary says why.
Summary solve_fixed_point(const FixedPointMap& G, Eigen::VectorXd& x, const SolverOptions& options,
                          const Admissible& admissible = nullptr);

}  // namespace rmtsolve
