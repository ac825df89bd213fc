#include "rmtsolve/numerics/gauss_hermite.hpp"

#include <gsl/gsl_integration.h>

#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {

GaussHermiteRule gauss_hermite(int n) {
  if (n < 1 || n > 1000) throw InvalidInput("nodes", "Gauss-Hermite order must be in 1..1000");
  // GSL's rule is for the weight e^{−x²}; z = √2 x maps it onto the standard normal.
  std::unique_ptr<gsl_integration_fixed_workspace, decltype(&gsl_integration_fixed_free)> w(
      gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, static_cast<size_t>(n), 0.0, 1.0, 0.0, 0.0),
      gsl_integration_fixed_free);
  GaussHermiteRule rule{Eigen::VectorXd(n), Eigen::VectorXd(n)};
  const double* x = gsl_integration_fixed_nodes(w.get());
  const double* wt = gsl_integration_fixed_weights(w.get());
  for (int i = 0; i < n; ++i) {
    rule.node[i] = std::sqrt(2.0) * x[i];
    rule.weight[i] = wt[i] / std::sqrt(M_PI);
  }
  return rule;
}

const GaussHermiteRule& shared_gauss_hermite(int n) {
  static std::mutex mutex;
  static std::map<int, std::unique_ptr<const GaussHermiteRule>> rules;  // never erased: references stay valid
  std::lock_guard<std::mutex> lock(mutex);
  auto& rule = rules[n];
  if (!rule) rule = std::make_unique<const GaussHermiteRule>(gauss_hermite(n));
  return *rule;
}

}  // namespace rmtsolve
