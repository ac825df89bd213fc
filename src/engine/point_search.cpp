#include "rmtsolve/engine/point_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/engine/reach.hpp"

namespace rmtsolve {
namespace {

std::string str(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// A whole string as one finite number, or NaN.
double number_or_nan(const std::string& text) {
  if (text.empty()) return std::nan("");
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(v) ? v : std::nan("");
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at; (at = text.find(sep, start)) != std::string::npos; start = at + 1) parts.push_back(text.substr(start, at - start));
  parts.push_back(text.substr(start));
  return parts;
}

// Default ranges of the parameters that mean the same in every model.  Scale parameters (ridge,
// sample and width ratios, time) are searched in log over several decades.
struct DefaultRange {
  const char* name;
  double lo, hi;
  bool log_scale;
};
constexpr DefaultRange kDefaults[] = {
    {"lambda", 1e-6, 1e3, true}, {"time", 1e-3, 1e4, true},  {"eta", 0.0, 5.0, false},
    {"alpha", 1e-2, 1e2, true},  {"alpha0", 1e-2, 1e2, true}, {"beta", 1e-2, 1e2, true},
    {"teacher_width", 1e-2, 1e2, true}};

const DefaultRange* default_range(const std::string& name) {
  for (const auto& d : kDefaults)
    if (name == d.name) return &d;
  return nullptr;
}

std::string numeric_names(const Model& model) {
  std::string s;
  for (const auto& p : model.numbers())
    if (p.domain != Domain::kPositiveInteger) s += (s.empty() ? "" : ", ") + p.name;
  return s;
}

std::string output_names(const Model& model) {
  std::string s;
  for (const auto& o : model.outputs()) s += (s.empty() ? "" : ", ") + o;
  return s;
}

// The parameter named by `flag`, checked to be a real number of the model that the sweep leaves free.
NumberParameter free_parameter(const Model& model, const SweepSpec& sweep, const std::string& name,
                                      const std::string& flag) {
  const auto numbers = model.numbers();
  const auto it = std::find_if(numbers.begin(), numbers.end(), [&](const NumberParameter& p) { return p.name == name; });
  if (it == numbers.end())
    throw InvalidInput(flag, "'" + name + "' is not a numeric parameter of model " + model.name() + " (numeric: " +
                                 numeric_names(model) + ")");
  if (it->domain == Domain::kPositiveInteger)
    throw InvalidInput(flag, "'" + name + "' is a whole number; only real parameters can be searched (numeric: " +
                                 numeric_names(model) + ")");
  const auto given = sweep.grids.find(name);
  if (given != sweep.grids.end())
    throw InvalidInput(flag, "'" + name + "' is also given as --" + name + (given->second.size() > 1 ? " (swept)" : "") +
                                 "; a searched parameter takes its values from the search, drop --" + name);
  return *it;
}

bool in_domain(Domain domain, double v) {
  switch (domain) {
    case Domain::kPositive: return v > 0.0;
    case Domain::kNonNegative: return v >= 0.0;
    default: return true;
  }
}

// The range of `p`, from "LO:HI" text or the parameter's default; `flag` names the text's flag.
SearchRange resolve_range(const NumberParameter& p, const std::string& text, const std::string& flag, int scan_points) {
  SearchRange r;
  r.name = p.name;
  r.scan_points = scan_points;
  const DefaultRange* d = default_range(p.name);
  if (text.empty()) {
    if (!d) throw InvalidInput(flag, "no default range for '" + p.name + "': give its bounds as LO:HI");
    r.lo = d->lo;
    r.hi = d->hi;
  } else {
    const auto parts = split(text, ':');
    if (parts.size() != 2 || std::isnan(number_or_nan(parts[0])) || std::isnan(number_or_nan(parts[1])))
      throw InvalidInput(flag, "must be LO:HI with two finite numbers, got '" + text + "'");
    r.lo = number_or_nan(parts[0]);
    r.hi = number_or_nan(parts[1]);
    if (!(r.lo < r.hi)) throw InvalidInput(flag, "LO must be below HI, got '" + text + "'");
    const char* domain = p.domain == Domain::kPositive ? "positive" : "non-negative";
    if (!in_domain(p.domain, r.lo) || !in_domain(p.domain, r.hi))
      throw InvalidInput(flag, "'" + text + "' leaves the domain of " + p.name + " (" + domain + ")");
  }
  const bool scale = d && d->log_scale;
  r.log_scale = scale;
  if (scale && r.lo == 0.0) {
    // log x cannot reach 0: scan eight decades below HI and compare the optimum with x = 0 itself.
    r.lo = r.hi * 1e-8;
    r.zero_limit = true;
  }
  // The default range of a parameter that may be 0 (λ) also looks at 0; user bounds only if they include it.
  if (scale && text.empty() && p.domain == Domain::kNonNegative) r.zero_limit = true;
  return r;
}

size_t output_index(const Model& model, const std::string& name, const std::string& flag) {
  const auto outputs = model.outputs();
  const auto it = std::find(outputs.begin(), outputs.end(), name);
  if (it == outputs.end())
    throw InvalidInput(flag, "'" + name + "' is not an output of model " + model.name() + " (outputs: " + output_names(model) + ")");
  return static_cast<size_t>(it - outputs.begin());
}

// One model solve with `name` set to x; divergence (the interpolation peak) is +inf, a real value.
Evaluation evaluate(const Model& model, Point point, const std::string& name, double x, size_t output,
                    const SolverOptions& options, std::vector<double>& warm) {
  point.number[name] = x;
  Evaluation e;
  e.result = model.solve(point, options, warm);
  const Summary& s = e.result.summary;
  if (s.converged) {
    e.value = e.result.values[output];
    if (std::isnan(e.value)) {
      e.failed = true;
      e.failure = name + " = " + str(x) + ": " + model.outputs()[output] + " is not defined at this point";
    }
  } else if (s.reason == Termination::kDivergent) {
    e.value = INFINITY;
  } else {
    e.failed = true;
    e.failure = name + " = " + str(x) + ": " + s.brief();
    warm.clear();
  }
  return e;
}

}  // namespace

PreparedSearch prepare_search(const Model& model, const SweepSpec& sweep, const SearchSpec& search) {
  PreparedSearch out;
  if (search.scan_points < 3) throw InvalidInput("scan_points", "needs at least 3 points");
  if (search.optimize.empty()) {
    if (!search.objective.empty()) throw InvalidInput("objective", "is the output minimised by --optimize, which is missing");
    if (!search.bounds.empty()) throw InvalidInput("bounds", "bounds the --optimize parameter, which is missing (the --over range is --over PARAM:LO:HI)");
  } else {
    const NumberParameter p = free_parameter(model, sweep, search.optimize, "optimize");
    out.optimize = p.name;
    std::string objective = search.objective;
    if (objective.empty()) {
      const auto outputs = model.outputs();
      const auto teacher = sweep.texts.find("teacher");
      const bool classification = teacher != sweep.texts.end() && (teacher->second == "sign" || teacher->second == "probit");
      auto has = [&](const char* o) { return std::find(outputs.begin(), outputs.end(), o) != outputs.end(); };
      objective = classification && has("classification_error") ? "classification_error" : "test_error";
      if (!has(objective.c_str()))
        throw InvalidInput("objective", "model " + model.name() + " has no " + objective + "; choose one of: " + output_names(model));
    }
    out.objective = output_index(model, objective, "objective");
    out.optimize_range = resolve_range(p, search.bounds, "bounds", search.scan_points);
  }
  if (search.reach.empty()) {
    if (!search.over.empty()) throw InvalidInput("over", "names the parameter of --reach, which is missing");
    return out;
  }
  const size_t eq = search.reach.find('=');
  if (eq == std::string::npos || std::isnan(number_or_nan(search.reach.substr(eq + 1))))
    throw InvalidInput("reach", "must be OUTPUT=VALUE with a finite VALUE, got '" + search.reach + "'");
  out.reach_output = output_index(model, search.reach.substr(0, eq), "reach");
  out.reach_value = number_or_nan(search.reach.substr(eq + 1));
  if (search.over.empty()) throw InvalidInput("over", "is required with --reach (the parameter to search, e.g. --over alpha)");
  const size_t colon = search.over.find(':');
  const std::string over = search.over.substr(0, colon);
  if (over == out.optimize) throw InvalidInput("over", "'" + over + "' is already the --optimize parameter");
  const NumberParameter q = free_parameter(model, sweep, over, "over");
  out.over = q.name;
  out.over_range = resolve_range(q, colon == std::string::npos ? "" : search.over.substr(colon + 1), "over", search.scan_points);
  out.over_range.zero_limit = false;  // the smallest value reaching the target: 0 is not a sample complexity
  return out;
}

SearchOutcome search_point(const Model& model, const Point& point, const PreparedSearch& search,
                           const SolverOptions& options, SearchState& state) {
  if (search.over.empty())
    return minimise([&](double x, std::vector<double>& warm) {
      return evaluate(model, point, search.optimize, x, search.objective, options, warm);
    }, search.optimize_range, state.outer);
  if (search.optimize.empty())
    return first_crossing([&](double x, std::vector<double>& warm) {
      return evaluate(model, point, search.over, x, search.reach_output, options, warm);
    }, search.reach_value, search.over_range, state.outer);
  // Both: the sought output at the optimum of the objective over the --optimize parameter.
  return first_crossing([&](double x, std::vector<double>&) {
    Point at = point;
    at.number[search.over] = x;
    const SearchOutcome inner = minimise([&](double y, std::vector<double>& warm) {
      return evaluate(model, at, search.optimize, y, search.objective, options, warm);
    }, search.optimize_range, state.inner);
    Evaluation e = inner.at;
    e.evaluations = inner.evaluations;
    if (inner.failed) {
      e.failed = true;
      e.failure = search.over + " = " + str(x) + ", optimising " + search.optimize + ": " + inner.at.failure;
      return e;
    }
    e.value = e.result.values[search.reach_output];
    e.extra = {inner.x};
    return e;
  }, search.reach_value, search.over_range, state.outer);
}

}  // namespace rmtsolve
