#include "rmtsolve/numerics/root.hpp"

#include "rmtsolve/core/interrupt.hpp"

#include <boost/math/tools/toms748_solve.hpp>
#include <chrono>
#include <cmath>

namespace rmtsolve {

RootResult solve_increasing_root(const std::function<double(double)>& f, double lo, double hi,
                                 const SolverOptions& options, double expand) {
  const auto start = std::chrono::steady_clock::now();
  RootResult out;
  Summary& s = out.summary;
  s.method = "toms748";
  // A point's solve may follow seconds of quadrature (the activation's coefficients): a Ctrl-C
  // that arrived meanwhile abandons the point here rather than after its whole solve.
  throw_if_interrupted();
  auto finish = [&](Termination why, double x, double fx) {
    s.reason = why;
    s.converged = why == Termination::kConverged;
    s.residual = std::abs(fx);
    out.x = x;
    s.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  };
  double flo = f(lo), fhi = f(hi);
  s.evaluations = 2;
  if (!std::isfinite(flo)) return finish(Termination::kNonFinite, lo, flo);
  if (flo > 0.0) {
    s.message = "f(lo) > 0: no sign change below the upper end";
    return finish(Termination::kNoBracket, lo, flo);
  }
  for (int k = 0; std::isfinite(fhi) && fhi < 0.0; ++k) {
    if (k == 60) {
      s.message = "f stays negative while expanding the bracket";
      return finish(Termination::kNoBracket, hi, fhi);
    }
    lo = hi;
    flo = fhi;
    hi += expand;
    fhi = f(hi);
    ++s.evaluations;
  }
  if (!std::isfinite(fhi)) return finish(Termination::kNonFinite, hi, fhi);
  if (flo == 0.0) return finish(Termination::kConverged, lo, 0.0);
  if (fhi == 0.0) return finish(Termination::kConverged, hi, 0.0);

  const double tol = options.tolerance;
  auto close_enough = [tol](double a, double b) {
    return std::abs(b - a) <= tol * std::max(1.0, std::min(std::abs(a), std::abs(b)));
  };
  boost::uintmax_t iterations = static_cast<boost::uintmax_t>(options.max_iterations);
  bool non_finite = false;
  auto guarded = [&](double x) {
    throw_if_interrupted();
    const double v = f(x);
    if (!std::isfinite(v)) non_finite = true;
    return std::isfinite(v) ? v : (x > 0.5 * (lo + hi) ? 1e300 : -1e300);
  };
  const auto [a, b] = boost::math::tools::toms748_solve(guarded, lo, hi, flo, fhi, close_enough, iterations);
  s.iterations = static_cast<int>(iterations);
  s.evaluations += static_cast<int>(iterations);
  const double x = 0.5 * (a + b);
  const double fx = f(x);
  ++s.evaluations;
  if (non_finite && !std::isfinite(fx)) return finish(Termination::kNonFinite, x, fx);
  if (!close_enough(a, b)) {
    s.message = "bracket still wider than tolerance";
    return finish(Termination::kMaxIterations, x, fx);
  }
  return finish(Termination::kConverged, x, fx);
}

double feasibility_boundary(const std::function<bool(double)>& feasible, double lo, double hi,
                            double tolerance) {
  if (feasible(lo)) return lo;
  // Bounded: a tolerance below the spacing of doubles would otherwise never be met.
  for (int k = 0; k < 200 && hi - lo > tolerance * std::max(1.0, std::abs(hi)); ++k) {
    const double mid = 0.5 * (lo + hi);
    (feasible(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace rmtsolve
