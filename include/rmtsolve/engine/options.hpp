#pragma once
#include <string>

#include "rmtsolve/model/model.hpp"
#include "rmtsolve/core/summary.hpp"
#include "rmtsolve/engine/sweep.hpp"

namespace rmtsolve {

/// Admissible ranges of the solver, verdict and Monte Carlo size options.  One definition, called
/// by the CLI (flags and --config), by suite files and by the Python module, so that a value is
/// accepted or refused identically everywhere.  Each check throws InvalidInput naming the option
/// in flag spelling ("max-iterations", "k-sigma", …); callers with other spellings rename it.
struct OptionLimits {
  static constexpr double kMaxTolerance = 0.1;     // tolerance ∈ (0, 0.1]: looser "converges" to wrong values
  static constexpr int kMaxIterations = 1000000;   // max-iterations ∈ [1, 1e6]
  static constexpr int kMaxAnderson = 100;         // anderson ∈ [0, 100]; damping ∈ [0, 1)
  static constexpr double kMaxKSigma = 100.0;      // k-sigma ∈ [0, 100]
  static constexpr double kMaxRelTol = 1.0;        // rel-tol ∈ [0, 1] (a 100 % allowance tests nothing)
  static constexpr int kMaxD = 1000000;            // d ∈ [1, 1e6]
  static constexpr int kMaxSeeds = 100000;         // seeds ∈ [1, 1e5]
  static constexpr int kMaxNTest = 100000000;      // n-test ∈ [0, 1e8]
  static constexpr int kMaxThreads = 4096;         // threads ∈ [0, 4096]
};

void check_solver_options(const SolverOptions& o);
/// `rel_tol` < 0 is the internal "use the model's allowance" marker; a user-given value must be
/// checked with check_rel_tol before it is stored.
void check_verdict_options(const ValidationTolerance& t);
void check_rel_tol(double rel_tol);
void check_simulation_options(const SimulationOptions& o);

/// An integer-like option given as a double (JSON number, Python float): checked against
/// [lo, hi] and for being whole *before* any conversion to int.
int checked_int(double value, long long lo, long long hi, const std::string& parameter);

}  // namespace rmtsolve
