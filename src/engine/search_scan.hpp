#pragma once
// The coarse scan shared by the minimiser and the inverse search (private to src/).
#include <vector>

#include "rmtsolve/engine/optimize.hpp"

namespace rmtsolve::detail {

struct Scan {
  std::vector<double> x;
  std::vector<Evaluation> eval;
};

/// Evaluates f at scan_positions(range), warm-starting each position from its state at the previous
/// sweep point (scan_warm) or else from its scan neighbour.  On an inner failure sets out.failed,
/// out.x and out.at and returns the partial scan.
Scan run_scan(const SearchFunction& f, const SearchRange& range, std::vector<std::vector<double>>& scan_warm,
              SearchOutcome& out);

}  // namespace rmtsolve::detail
