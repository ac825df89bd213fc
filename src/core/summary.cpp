#include "rmtsolve/core/summary.hpp"

#include <cstdio>

namespace rmtsolve {

const char* to_string(Termination t) {
  switch (t) {
    case Termination::kConverged: return "converged";
    case Termination::kMaxIterations: return "max_iterations";
    case Termination::kNonFinite: return "non_finite";
    case Termination::kNoBracket: return "no_bracket";
    case Termination::kDivergent: return "divergent";
  }
  return "unknown";
}

std::string Summary::brief() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s after %d iterations (%s), residual %.3g, %.3g ms%s%s",
                to_string(reason), iterations, method.c_str(), residual, 1e3 * wall_seconds,
                message.empty() ? "" : ": ", message.c_str());
  return buf;
}

}  // namespace rmtsolve
