#include "rmtsolve/engine/options.hpp"

#include <cmath>
#include <sstream>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {
namespace {

std::string text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void in_range(long long v, long long lo, long long hi, const char* parameter) {
  if (v < lo || v > hi)
    throw InvalidInput(parameter, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
}

}  // namespace

void check_solver_options(const SolverOptions& o) {
  if (!(o.tolerance > 0.0 && o.tolerance <= OptionLimits::kMaxTolerance))
    throw InvalidInput("tolerance", "must be in (0, " + text(OptionLimits::kMaxTolerance) + "], got " + text(o.tolerance));
  in_range(o.max_iterations, 1, OptionLimits::kMaxIterations, "max-iterations");
  if (!(o.damping >= 0.0 && o.damping < 1.0)) throw InvalidInput("damping", "must be in [0, 1), got " + text(o.damping));
  in_range(o.anderson_memory, 0, OptionLimits::kMaxAnderson, "anderson");
  in_range(o.threads, 0, OptionLimits::kMaxThreads, "threads");
}

void check_rel_tol(double rel_tol) {
  if (!(rel_tol >= 0.0 && rel_tol <= OptionLimits::kMaxRelTol))
    throw InvalidInput("rel-tol", "must be in [0, " + text(OptionLimits::kMaxRelTol) + "], got " + text(rel_tol));
}

void check_verdict_options(const ValidationTolerance& t) {
  if (!(t.k_sigma >= 0.0 && t.k_sigma <= OptionLimits::kMaxKSigma))
    throw InvalidInput("k-sigma", "must be in [0, " + text(OptionLimits::kMaxKSigma) + "], got " + text(t.k_sigma));
  if (t.rel_tol >= 0.0 || std::isnan(t.rel_tol)) check_rel_tol(t.rel_tol);
  if (!(t.abs_floor >= 0.0 && std::isfinite(t.abs_floor))) throw InvalidInput("abs-floor", "must be finite and non-negative");
}

void check_simulation_options(const SimulationOptions& o) {
  in_range(o.d, 1, OptionLimits::kMaxD, "d");
  in_range(o.seeds.seeds, 1, OptionLimits::kMaxSeeds, "seeds");
  in_range(o.n_test, 0, OptionLimits::kMaxNTest, "n-test");
  in_range(o.seeds.threads, 0, OptionLimits::kMaxThreads, "threads");
}

int checked_int(double value, long long lo, long long hi, const std::string& parameter) {
  if (!std::isfinite(value) || value != std::floor(value))
    throw InvalidInput(parameter, "must be a whole number, got " + text(value));
  if (value < static_cast<double>(lo) || value > static_cast<double>(hi))
    throw InvalidInput(parameter, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + text(value));
  return static_cast<int>(value);
}

}  // namespace rmtsolve
