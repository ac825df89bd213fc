#pragma once
#include <functional>
#include <string>
#include <vector>

#include "rmtsolve/model/model.hpp"

namespace rmtsolve {

/// One model evaluation during a one-parameter search: the scalar the search looks at, and the
/// point's full result.  A failed inner solve is never a candidate for an optimum or a crossing.
struct Evaluation {
  double value = 0.0;  // objective (or the output sought); +inf where the model reports divergence
  bool failed = false;
  std::string failure;  // the failing solve's summary, with the parameter value
  PointResult result;
  std::vector<double> extra;  // e.g. the inner optimum of a nested search
  int evaluations = 1;        // model solves behind this evaluation
};

/// x ↦ evaluation; `warm` carries the model's state between neighbouring x.
using SearchFunction = std::function<Evaluation(double x, std::vector<double>& warm)>;

/// Where to search: [lo, hi], scanned at `scan_points` points equally spaced in x or in log x.
/// `zero_limit`: the parameter may be 0 (e.g. λ), so an optimum on the lower bound is compared with
/// the value at exactly 0 (the ridgeless limit).
struct SearchRange {
  std::string name = "x";  // the parameter, for the outcome's note
  double lo = 0.0, hi = 1.0;
  bool log_scale = false;
  int scan_points = 25;
  bool zero_limit = false;
};

struct SearchOutcome {
  double x = 0.0;        // the optimiser or the crossing; NaN when not found
  Evaluation at;         // the evaluation at x
  bool found = false;    // false: not reached within the bounds (reach), or failed
  bool failed = false;   // an inner solve failed: the point is reported with `at.failure`, never as a result
  int evaluations = 0;   // model solves in total
  double bracket_lo = 0.0, bracket_hi = 0.0;  // final bracket of the minimiser / root finder
  std::string on_bound = "no";                // "no", "lower", "upper", "zero" (the λ → 0 limit)
  std::string note;                           // how the result was found, in one line
};

/// Minimum of f over the range: a coarse scan (learning curves are not convex in λ near
/// interpolation, nor in η̃), then Brent's method (Boost.Math brent_find_minima) in the bracket of
/// the lowest scanned point, in log x for a log range.  `bits`: Brent's relative tolerance 2^(1−bits)
/// on the search variable.  Warm states are kept per scan point in `scan_warm` (resized as needed)
/// so that a sweep's next point starts each scan point from its neighbour's state.
SearchOutcome minimise(const SearchFunction& f, const SearchRange& range, std::vector<std::vector<double>>& scan_warm,
                       int bits = 20);

/// The scan positions of a range (shared by the minimiser and the inverse search).
std::vector<double> scan_positions(const SearchRange& range);

}  // namespace rmtsolve
