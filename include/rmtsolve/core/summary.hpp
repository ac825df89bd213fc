#pragma once
#include <string>

namespace rmtsolve {

/// Why a solver stopped.  Everything but kConverged means the numbers it returned must not be
/// reported as a result.
enum class Termination {
  kConverged,
  kMaxIterations,   // iteration budget exhausted before the tolerance was met
  kNonFinite,       // the map or residual produced NaN/inf
  kNoBracket,       // a monotone root could not be bracketed
  kDivergent,       // the quantity is infinite at this point (e.g. ridgeless interpolation peak)
};

const char* to_string(Termination t);

/// What happened during one solve, in the spirit of ceres::Solver::Summary.
struct Summary {
  bool converged = false;
  Termination reason = Termination::kMaxIterations;
  std::string method;         // e.g. "toms748(log nu0)", "anderson(5)", "gsl-hybrids"
  int iterations = 0;
  int evaluations = 0;        // map/residual evaluations
  double residual = 0.0;      // final |residual| (root) or ‖G(x) − x‖∞ (fixed point)
  double wall_seconds = 0.0;
  std::string message;        // human-readable detail when not converged

  /// One line: "converged in 12 iterations (toms748), residual 3e-15, 0.1 ms".
  std::string brief() const;
};

/// Options shared by all solvers; each model maps them onto its own solve.
struct SolverOptions {
  double tolerance = 1e-12;   // relative tolerance on the unknowns
  int max_iterations = 500;
  double damping = 0.5;       // weight of the old iterate in a damped step (fixed points)
  int anderson_memory = 5;    // 0 = plain damped iteration
  bool multiroot_fallback = true;  // GSL hybrid Newton when the iteration fails
  /// Theory curves of models whose points may be solved concurrently (Model::concurrent_points):
  /// worker threads, each solving one contiguous, warm-started segment of the curve (0: one per
  /// core; 1: serial).  Only long curves are split (at least 16 points per segment).
  int threads = 1;
};

}  // namespace rmtsolve
