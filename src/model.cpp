#include "rmtsolve/model.hpp"

#include "equations/deep_rf/deep_rf.hpp"
#include "equations/gcm_ridge/gcm_ridge.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "equations/srf/srf.hpp"
#include "rmtsolve/error.hpp"

namespace rmtsolve {

std::vector<mc::Estimate> Model::simulate(const Point&, const SimulationOptions&) const {
  throw InvalidInput("model", name() + " has no Monte Carlo simulation");
}

const std::vector<std::unique_ptr<Model>>& models() {
  static const std::vector<std::unique_ptr<Model>> all = [] {
    std::vector<std::unique_ptr<Model>> v;
    v.push_back(rf_ridge::make_model());
    v.push_back(gcm_ridge::make_model());
    v.push_back(srf::make_model());
    v.push_back(deep_rf::make_model());
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
