// Prints a random-features learning curve and the sRF error after one gradient step, through the
// installed library.
#include <cstdio>

#include "equations/rf_ridge/rf_ridge.hpp"
#include "equations/srf/srf.hpp"

int main() {
  rmtsolve::rf_ridge::Spec rf;  // tanh student, linear target
  rf.beta = 2.0;
  rf.lambda = 1e-2;
  rf.noise = 0.25;
  for (double alpha : {0.5, 1.0, 2.0, 4.0}) {
    rf.alpha = alpha;
    const auto r = rmtsolve::rf_ridge::solve(rf);
    if (!r.summary.converged) {
      std::fprintf(stderr, "%s\n", r.summary.brief().c_str());
      return 1;
    }
    std::printf("rf  alpha=%.2f test=%.6f train=%.6f\n", alpha, r.test_error, r.train_error);
  }
  rmtsolve::srf::Spec srf;  // tanh student and target, alpha0 = 2
  srf.eta = 2.0;
  const auto s = rmtsolve::srf::solve(srf, {});
  std::printf("srf eta=2 test=%.6f (r=%.4f c=%.4f gamma=%.4f)\n", s.test_error, s.mapping.r, s.mapping.c, s.mapping.gamma);
  return s.summary.converged ? 0 : 1;
}
