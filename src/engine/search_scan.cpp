#include "search_scan.hpp"

namespace rmtsolve::detail {

Scan run_scan(const SearchFunction& f, const SearchRange& range, std::vector<std::vector<double>>& scan_warm,
              SearchOutcome& out) {
  Scan scan;
  scan.x = scan_positions(range);
  scan_warm.resize(scan.x.size());
  std::vector<double> warm;
  for (size_t k = 0; k < scan.x.size(); ++k) {
    if (!scan_warm[k].empty()) warm = scan_warm[k];
    Evaluation e = f(scan.x[k], warm);
    scan_warm[k] = warm;
    out.evaluations += e.evaluations;
    if (e.failed) {
      out.failed = true;
      out.x = scan.x[k];
      out.at = e;
      out.note = "an inner solve failed during the scan";
      for (auto& w : scan_warm) w.clear();  // do not carry states of a failed search to the next point
      return scan;
    }
    scan.eval.push_back(std::move(e));
  }
  return scan;
}

}  // namespace rmtsolve::detail
