#include "rmtsolve/model/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {

std::vector<mc::Estimate> Model::simulate(const Point&, const SimulationOptions&) const {
  throw InvalidInput("model", name() + " has no Monte Carlo simulation");
}

PlotHint Model::plot_hint(const Point&) const {
  const auto out = outputs();
  // A classifier (its first output is the classification error, e.g. srf-class) is plotted by it.
  if (!out.empty() && out.front() == "classification_error")
    return {{{{"classification_error"}, "test classification error P(sign ŷ ≠ y)"}}};
  if (std::find(out.begin(), out.end(), "test_error") != out.end())
    return {{{{"test_error", "train_error"}, "error (mean squared)"}}};
  return {{{{out.front()}, out.front()}}};
}

int size_from_ratio(double ratio, int d, const char* parameter, int minimum) {
  const double v = std::round(ratio * d);
  if (!(v >= minimum) || v > 2e9)
    throw InvalidInput(parameter, "gives a size of " + std::to_string(v) + " at d = " + std::to_string(d));
  return static_cast<int>(v);
}

std::string simulation_key(const Model& model, const Point& point, const SimulationOptions& o, const std::string& varying) {
  std::string key = model.name();
  for (const auto& p : model.numbers())
    if (p.name != varying) key += "|" + p.name + "=" + std::to_string(point[p.name]);
  for (const auto& p : model.texts()) key += "|" + p.name + "=" + point.str(p.name);
  return key + (o.single_precision ? "|float32" : "") + "|d=" + std::to_string(o.d) + "|n_test=" + std::to_string(o.n_test) + "|seeds=" +
         std::to_string(o.seeds.seeds) + "|base=" + std::to_string(o.seeds.base_seed);
}

bool parse_size_and_seed(const std::string& text, const std::string& tag, int& d, std::uint64_t& seed) {
  unsigned long long s = 0;
  int size = 0;
  char tail = 0;
  const std::string format = tag + ":%d:%llu%c";
  if (std::sscanf(text.c_str(), format.c_str(), &size, &s, &tail) != 2 || size < 2) return false;
  d = size;
  seed = s;
  return true;
}

}  // namespace rmtsolve
