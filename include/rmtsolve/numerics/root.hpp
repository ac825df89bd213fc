#pragma once
#include <functional>

#include "rmtsolve/core/summary.hpp"

namespace rmtsolve {

struct RootResult {
  double x = 0.0;
  Summary summary;
};

/// Root of an increasing function f on [lo, hi] (f(lo) ≤ 0 ≤ f(hi)) by TOMS 748
/// (Boost.Math).  If the bracket does not hold, `hi` is pushed up by `expand` (additively, as the
/// callers work in log variables) up to 60 times before giving up with kNoBracket.
RootResult solve_increasing_root(const std::function<double(double)>& f, double lo, double hi,
                                 const SolverOptions& options, double expand = 2.0);

/// Smallest t in [lo, hi] with feasible(t) true, for a predicate that is false below a threshold
/// and true above it; bisection to `tolerance`.  Returns lo if feasible(lo).
double feasibility_boundary(const std::function<bool(double)>& feasible, double lo, double hi,
                            double tolerance = 1e-15);

}  // namespace rmtsolve
