#include "ode.hpp"

#include <algorithm>
#include <boost/numeric/odeint.hpp>
#include <chrono>
#include <cmath>
#include <limits>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve::linear_dynamics {

namespace odeint = boost::numeric::odeint;

OdeSolution integrate_at(const OdeRhs& rhs, const OdeState& x0, const std::vector<double>& times,
                         const OdeOptions& options) {
  for (double t : times)
    if (!(t >= 0.0) || !std::isfinite(t)) throw InvalidInput("t", "times must be finite and non-negative");
  const auto start = std::chrono::steady_clock::now();
  OdeSolution out;
  out.summary.method = "odeint rkf78";
  // integrate_times wants increasing, distinct times starting at the initial time.
  std::vector<double> grid{0.0};
  grid.insert(grid.end(), times.begin(), times.end());
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  std::vector<OdeState> at_grid;
  at_grid.reserve(grid.size());
  try {
    OdeState x = x0;
    auto stepper = odeint::make_controlled(options.absolute_tolerance, options.relative_tolerance,
                                           odeint::runge_kutta_fehlberg78<OdeState>());
    const double dt0 = grid.size() > 1 ? std::min(1e-3, grid[1]) : 1e-3;
    out.summary.iterations = static_cast<int>(std::min<std::size_t>(
        odeint::integrate_times(stepper, rhs, x, grid.begin(), grid.end(), dt0,
                                [&](const OdeState& s, double) { at_grid.push_back(s); },
                                odeint::max_step_checker(static_cast<int>(options.max_steps_between_outputs))),
        static_cast<std::size_t>(std::numeric_limits<int>::max())));
  } catch (const std::exception& e) {  // odeint's step checker or step-size underflow
    out.summary.reason = Termination::kMaxIterations;
    out.summary.message = e.what();
    return out;
  }
  for (const auto& s : at_grid)
    for (double v : s)
      if (!std::isfinite(v)) {
        out.summary.reason = Termination::kNonFinite;
        out.summary.message = "the integrated state is not finite";
        return out;
      }
  for (double t : times)
    out.states.push_back(at_grid[static_cast<std::size_t>(std::lower_bound(grid.begin(), grid.end(), t) - grid.begin())]);
  out.summary.converged = true;
  out.summary.reason = Termination::kConverged;
  out.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace rmtsolve::linear_dynamics
