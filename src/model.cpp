#include "rmtsolve/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "equations/deep_rf/deep_rf.hpp"
#include "equations/gcm/gcm.hpp"
#include "equations/kernels/kernels.hpp"
#include "equations/krr/krr.hpp"
#include "equations/linear_dynamics/linear_dynamics.hpp"
#include "equations/nfa/nfa.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "equations/srf/srf.hpp"
#include "equations/srf_glm/srf_glm.hpp"
#include "rmtsolve/error.hpp"

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

const std::vector<std::unique_ptr<Model>>& models() {
  static const std::vector<std::unique_ptr<Model>> all = [] {
    std::vector<std::unique_ptr<Model>> v;
    v.push_back(rf_ridge::make_model());
    v.push_back(gcm::make_model());
    v.push_back(srf::make_model());
    v.push_back(srf_glm::make_model());
    v.push_back(deep_rf::make_model());
    v.push_back(kernels::make_model());
    v.push_back(krr::make_model());
    v.push_back(linear_dynamics::make_dynamics_model());
    v.push_back(linear_dynamics::make_phase_model());
    v.push_back(linear_dynamics::make_single_neuron_model());
    v.push_back(linear_dynamics::make_saxe_model());
    v.push_back(nfa::make_model());
    return v;
  }();
  return all;
}

const Model& find_model(const std::string& name) {
  std::string known;
  for (const auto& m : models()) {
    if (m->name() == name) return *m;
    known += (known.empty() ? "" : ", ") + m->name();
  }
  throw InvalidInput("model", "unknown model '" + name + "' (known: " + known + ")");
}

}  // namespace rmtsolve
