#include "rmtsolve/engine/reach.hpp"

#include <boost/math/tools/roots.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include "search_scan.hpp"

namespace rmtsolve {

SearchOutcome first_crossing(const SearchFunction& f, double target, const SearchRange& range,
                             std::vector<std::vector<double>>& scan_warm, double relative_tolerance) {
  SearchOutcome out;
  detail::Scan scan = detail::run_scan(f, range, scan_warm, out);
  if (out.failed) return out;
  const std::vector<double>& xs = scan.x;
  const size_t n = xs.size();
  size_t first = n, lowest = 0;
  bool non_monotone = false;
  for (size_t k = 0; k < n; ++k) {
    if (first == n && scan.eval[k].value <= target) first = k;
    if (scan.eval[k].value < scan.eval[lowest].value) lowest = k;
    if (k > 0 && scan.eval[k].value > scan.eval[k - 1].value) non_monotone = true;
  }
  std::ostringstream note;
  note << "scan of " << n << (range.log_scale ? " log-spaced" : "") << " points on [" << range.lo << ", " << range.hi << "]";
  if (first == n) {
    out.x = std::nan("");
    out.at = scan.eval[lowest];
    note << "; not reached within the bounds: lowest value on the scan " << scan.eval[lowest].value << " at "
         << range.name << " = " << xs[lowest];
    out.note = note.str();
    return out;
  }
  if (non_monotone) note << "; the curve is not monotone on the scan (e.g. double descent): the first crossing is reported";
  for (size_t k = first + 1; k < n; ++k)
    if (scan.eval[k].value > target) {
      note << "; it rises above the target again by " << range.name << " = " << xs[k];
      break;
    }
  out.found = true;
  if (first == 0) {
    out.x = xs[0];
    out.at = scan.eval[0];
    out.on_bound = "lower";
    out.bracket_lo = out.bracket_hi = xs[0];
    note << "; already reached at the lower bound: lower --bounds for the crossing";
    out.note = note.str();
    return out;
  }

  auto to_t = [&](double x) { return range.log_scale ? std::log(x) : x; };
  auto from_t = [&](double t) { return range.log_scale ? std::exp(t) : t; };
  std::vector<double> warm = scan_warm[first];
  struct InnerFailure {};
  constexpr double kLarge = 1e300;  // an infinite value (interpolation peak) as a large one: TOMS 748 then bisects
  auto h = [&](double t) {
    Evaluation e = f(std::min(std::max(from_t(t), range.lo), range.hi), warm);
    out.evaluations += e.evaluations;
    if (e.failed) {
      out.failed = true;
      out.at = e;
      throw InnerFailure{};
    }
    return std::min(e.value - target, kLarge);
  };
  const double a = to_t(xs[first - 1]), b = to_t(xs[first]);
  const double fa = std::min(scan.eval[first - 1].value - target, kLarge), fb = scan.eval[first].value - target;
  auto close = [relative_tolerance](double u, double v) {
    return std::abs(v - u) <= relative_tolerance * std::max(1.0, std::min(std::abs(u), std::abs(v)));
  };
  std::pair<double, double> bracket{a, b};
  boost::uintmax_t iterations = 200;
  try {
    if (fb == 0.0) bracket = {b, b};
    else if (std::isfinite(scan.eval[first - 1].value))
      bracket = boost::math::tools::toms748_solve(h, a, b, fa, fb, close, iterations);
    else
      bracket = boost::math::tools::bisect(h, a, b, close, iterations);
  } catch (const InnerFailure&) {
    out.found = false;
    out.note = note.str() + "; an inner solve failed during the root search";
    return out;
  }
  // The reported point is the bracket's end at which the target is reached (the smallest such x to
  // the tolerance), re-evaluated for the outputs.
  out.bracket_lo = from_t(bracket.first);
  out.bracket_hi = from_t(bracket.second);
  out.x = out.bracket_hi;
  out.at = f(out.x, warm);
  out.evaluations += out.at.evaluations;
  if (out.at.failed) {
    out.failed = true;
    out.found = false;
  }
  note << "; " << (std::isfinite(scan.eval[first - 1].value) ? "TOMS 748" : "bisection") << " on ["
       << xs[first - 1] << ", " << xs[first] << "] to " << relative_tolerance << " relative in "
       << (range.log_scale ? "log " : "") << range.name << " (" << iterations << " iterations)";
  out.note = note.str();
  return out;
}

}  // namespace rmtsolve
