// A program written against an installed rmtsolve, the way a user writes one: it passes Eigen
// objects into the library and lets objects allocated inside the library be destroyed here.  If
// the library and this program disagree on Eigen's ABI (alignment, vectorisation), the frees below
// abort or corrupt the heap; CTest builds it with default flags against the installed package.
#include <Eigen/Dense>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "equations/deep_rf/deep_rf.hpp"
#include "equations/gcm_ridge/gcm_ridge.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "equations/srf/srf.hpp"

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: %s\n", what);
    ++failures;
  }
}

bool finite_positive(double x) { return std::isfinite(x) && x > 0.0; }

}  // namespace

int main() {
  // Random features (tanh student, linear target) along α.
  rmtsolve::rf_ridge::Spec rf;
  rf.beta = 2.0;
  rf.lambda = 1e-2;
  rf.noise = 0.25;
  for (double alpha : {0.5, 1.0, 2.0, 4.0}) {
    rf.alpha = alpha;
    const auto r = rmtsolve::rf_ridge::solve(rf);
    check(r.summary.converged, "rf_ridge::solve did not converge");
    check(finite_positive(r.test_error), "rf_ridge test error not finite");
    std::printf("rf   alpha=%.2f test=%.6f train=%.6f\n", alpha, r.test_error, r.train_error);
  }

  // Spiked random features, warm-started along η̃ by a vector owned here and resized inside.
  rmtsolve::srf::Spec srf;
  Eigen::VectorXd warm;
  for (double eta : {0.5, 1.0, 2.0}) {
    srf.eta = eta;
    const auto s = rmtsolve::srf::solve(srf, {}, nullptr, nullptr, &warm);
    check(s.summary.converged, "srf::solve (warm-started) did not converge");
    check(finite_positive(s.test_error), "srf test error not finite");
    std::printf("srf  eta=%.1f test=%.6f (r=%.4f c=%.4f gamma=%.4f)\n", eta, s.test_error, s.mapping.r,
                s.mapping.c, s.mapping.gamma);
  }
  check(warm.size() > 0, "srf::solve left the warm start empty");

  // A sampled spectrum: vectors allocated inside the library, freed here.
  {
    std::mt19937_64 rng(7);
    const auto map = rmtsolve::srf::map_network(srf);
    rmtsolve::srf::SampledSpectrum sampled = rmtsolve::srf::sample_spectrum(100, 100, map.c, rng);
    check(sampled.D.size() > 0 && sampled.D.allFinite(), "srf::sample_spectrum returned no spectrum");
    const auto s = rmtsolve::srf::solve(srf, {}, nullptr, &sampled);
    check(s.summary.converged, "srf::solve on a sampled spectrum did not converge");
    std::printf("srf  sampled d=100 test=%.6f\n", s.test_error);
    std::vector<rmtsolve::srf::SampledSpectrum> copies(3, sampled);  // copies freed here too
  }

  // Deep random features: the seed-free chain and one drawn network.
  {
    rmtsolve::deep_rf::Spec deep;
    deep.layers.resize(2);
    deep.alpha = 1.5;
    const auto chain = rmtsolve::deep_rf::solve(deep, {});
    check(chain.summary.converged, "deep_rf chain did not converge");
    deep.method = rmtsolve::deep_rf::Method::kDrawn;
    deep.d = 60;
    deep.input_spectrum = Eigen::VectorXd::Constant(60, 1.0);  // Σ = I, passed in as a vector
    const rmtsolve::deep_rf::DrawnNetwork net = rmtsolve::deep_rf::draw_network(deep);
    const auto drawn = rmtsolve::deep_rf::solve(deep, {}, &net);
    check(drawn.summary.converged, "deep_rf drawn did not converge");
    std::printf("deep chain test=%.6f drawn d=60 test=%.6f\n", chain.test_error, drawn.test_error);
  }

  // GCM ridge from covariances built here: isotropic teacher and student.
  {
    const int p = 50;
    rmtsolve::gcm_ridge::Covariances cov;
    cov.Psi = Eigen::MatrixXd::Identity(p, p);
    cov.Phi = Eigen::MatrixXd::Identity(p, p);
    cov.Omega = Eigen::MatrixXd::Identity(p, p);
    const auto problem = rmtsolve::gcm_ridge::Problem::from_covariances(cov);
    Eigen::VectorXd state;
    for (double alpha : {0.5, 2.0}) {
      const rmtsolve::gcm_ridge::Setting setting{alpha, 1e-2, 0.1};
      const auto g = rmtsolve::gcm_ridge::solve(problem, setting, rmtsolve::gcm_ridge::Method::kIteration, {}, &state);
      check(g.summary.converged, "gcm_ridge::solve did not converge");
      check(finite_positive(g.test_error), "gcm_ridge test error not finite");
      std::printf("gcm  alpha=%.1f test=%.6f\n", alpha, g.test_error);
    }
  }
  return failures == 0 ? 0 : 1;
}
