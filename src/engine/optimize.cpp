#include "rmtsolve/engine/optimize.hpp"

#include <boost/math/tools/minima.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include "search_scan.hpp"

namespace rmtsolve {

std::vector<double> scan_positions(const SearchRange& range) {
  const int n = std::max(3, range.scan_points);
  const double a = range.log_scale ? std::log(range.lo) : range.lo;
  const double b = range.log_scale ? std::log(range.hi) : range.hi;
  std::vector<double> x(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) {
    const double t = a + (b - a) * k / (n - 1);
    x[static_cast<size_t>(k)] = range.log_scale ? std::exp(t) : t;
  }
  x.front() = range.lo;  // exact bounds, not exp(log(lo))
  x.back() = range.hi;
  return x;
}

SearchOutcome minimise(const SearchFunction& f, const SearchRange& range, std::vector<std::vector<double>>& scan_warm,
                       int bits) {
  SearchOutcome out;
  detail::Scan scan = detail::run_scan(f, range, scan_warm, out);
  if (out.failed) return out;
  const std::vector<double>& xs = scan.x;
  const size_t n = xs.size();
  size_t best = 0;
  for (size_t k = 1; k < n; ++k)
    if (scan.eval[k].value < scan.eval[best].value) best = k;
  if (!std::isfinite(scan.eval[best].value)) {
    out.failed = true;
    out.x = xs[best];
    out.at = scan.eval[best];
    out.at.failure = "the objective is infinite (divergent) at every scanned " + range.name;
    return out;
  }
  int local_minima = 0;
  for (size_t k = 0; k < n; ++k) {
    const bool below_left = k == 0 || scan.eval[k].value < scan.eval[k - 1].value;
    const bool below_right = k + 1 == n || scan.eval[k].value <= scan.eval[k + 1].value;
    local_minima += below_left && below_right;
  }

  // Brent in the scan bracket around the lowest point, in the scan's variable t (log x or x).
  auto to_t = [&](double x) { return range.log_scale ? std::log(x) : x; };
  auto from_t = [&](double t) { return range.log_scale ? std::exp(t) : t; };
  const double a = to_t(xs[best == 0 ? 0 : best - 1]), b = to_t(xs[best + 1 == n ? n - 1 : best + 1]);
  Evaluation best_eval = scan.eval[best];
  double best_x = xs[best];
  std::vector<double> warm = scan_warm[best];
  struct InnerFailure {};
  auto g = [&](double t) {
    const double x = std::min(std::max(from_t(t), range.lo), range.hi);
    Evaluation e = f(x, warm);
    out.evaluations += e.evaluations;
    if (e.failed) {
      out.failed = true;
      out.x = x;
      out.at = e;
      throw InnerFailure{};
    }
    if (e.value < best_eval.value) {
      best_eval = e;
      best_x = x;
    }
    return e.value;
  };
  boost::uintmax_t iterations = 100;
  try {
    boost::math::tools::brent_find_minima(g, a, b, bits, iterations);
  } catch (const InnerFailure&) {
    out.note = "an inner solve failed during the Brent search";
    return out;
  }
  out.found = true;
  out.x = best_x;
  out.at = best_eval;
  out.bracket_lo = from_t(a);
  out.bracket_hi = from_t(b);
  const double tol = 4.0 * std::ldexp(1.0, 1 - bits);
  const double t_best = to_t(best_x);
  if (best == 0 && std::abs(t_best - to_t(range.lo)) <= tol * std::max(1.0, std::abs(t_best))) out.on_bound = "lower";
  if (best + 1 == n && std::abs(t_best - to_t(range.hi)) <= tol * std::max(1.0, std::abs(t_best))) out.on_bound = "upper";

  std::ostringstream note;
  note << "scan of " << n << (range.log_scale ? " log-spaced" : "") << " points on [" << range.lo << ", " << range.hi
       << "], Brent on [" << out.bracket_lo << ", " << out.bracket_hi << "] to " << tol / 4.0 << " relative in "
       << (range.log_scale ? "log " : "") << range.name << " (" << iterations << " iterations)";
  if (local_minima > 1) note << "; " << local_minima << " local minima on the scan, the lowest was refined";
  if (out.on_bound == "upper") note << "; optimum on the upper bound: widen --bounds";
  if (out.on_bound == "lower" && range.zero_limit && range.lo > 0.0) {
    // The λ → 0 limit is a real answer in noiseless settings: compare with the value at exactly 0.
    Evaluation zero = f(0.0, warm);
    out.evaluations += zero.evaluations;
    if (zero.failed) {
      note << "; optimum on the lower bound, and the " << range.name << " = 0 limit did not solve (" << zero.failure << ")";
    } else if (zero.value <= best_eval.value * (1.0 + 1e-9) + 1e-300) {
      out.on_bound = "zero";
      out.x = 0.0;
      out.at = zero;
      note << "; optimum on the lower bound and no higher at " << range.name << " = 0: the optimum is the "
           << range.name << " -> 0 limit, reported at " << range.name << " = 0";
    } else {
      note << "; optimum on the lower bound, but the value at " << range.name
           << " = 0 is higher: the optimum lies below the bound, lower it";
    }
  } else if (out.on_bound == "lower") {
    note << "; optimum on the lower bound: lower --bounds";
  }
  out.note = note.str();
  return out;
}

}  // namespace rmtsolve
