// The registry: the only file below the front ends that knows every equation system, so the
// Model interface (rmtsolve/model/model.hpp) stays below the equations that implement it.
#include "rmtsolve/model/model.hpp"

#include "equations/deep_rf/deep_rf.hpp"
#include "equations/gcm/gcm.hpp"
#include "equations/kernels/kernels.hpp"
#include "equations/krr/krr.hpp"
#include "equations/linear_dynamics/linear_dynamics.hpp"
#include "equations/nfa/nfa.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "equations/srf/srf.hpp"
#include "equations/srf_glm/srf_glm.hpp"
#include "rmtsolve/core/error.hpp"

namespace rmtsolve {

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
