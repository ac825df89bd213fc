#pragma once
#include <vector>

#include "rmtsolve/engine/optimize.hpp"

namespace rmtsolve {

/// Smallest x in the range at which f(x) falls to `target` (f(x) ≤ target): a scan for the first
/// crossing — so a non-monotone curve (double descent) gives its first crossing, and the outcome's
/// note says the curve was not monotone — then TOMS 748 (Boost.Math) in the crossing's bracket
/// (bisection when the bracket's upper value is infinite, e.g. at an interpolation peak).
/// Not reached within the range is a clean outcome: found = false, failed = false, with a note.
SearchOutcome first_crossing(const SearchFunction& f, double target, const SearchRange& range,
                             std::vector<std::vector<double>>& scan_warm, double relative_tolerance = 1e-10);

}  // namespace rmtsolve
