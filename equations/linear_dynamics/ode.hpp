#pragma once
#include <functional>
#include <vector>

#include "rmtsolve/core/summary.hpp"

namespace rmtsolve::linear_dynamics {

using OdeState = std::vector<double>;
/// dx/dt = rhs(x, t), in odeint's calling convention.
using OdeRhs = std::function<void(const OdeState& x, OdeState& dxdt, double t)>;

struct OdeOptions {
  double relative_tolerance = 1e-12;
  double absolute_tolerance = 1e-14;
  long max_steps_between_outputs = 2'000'000;
};

struct OdeSolution {
  std::vector<OdeState> states;  // one per requested time, in the order requested
  Summary summary;               // iterations = accepted steps
};

/// Integrates from x(0) = x0 and returns x at each of `times` (any order, duplicates allowed,
/// all ≥ 0).  Boost.Odeint's controlled Runge–Kutta–Fehlberg 7(8): the 8th order keeps tight
/// tolerances affordable, which is what the exact-solution checks need.  A blown-up or stalled
/// integration returns summary.converged = false and no states.
OdeSolution integrate_at(const OdeRhs& rhs, const OdeState& x0, const std::vector<double>& times,
                         const OdeOptions& options = {});

}  // namespace rmtsolve::linear_dynamics
