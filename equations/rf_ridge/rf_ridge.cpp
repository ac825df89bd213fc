#include "rf_ridge.hpp"

#include <cmath>

#include "rmtsolve/theory/chain.hpp"
#include "rmtsolve/core/error.hpp"

namespace rmtsolve::rf_ridge {

Result solve(const Spec& spec, const SolverOptions& options) {
  if (!(spec.beta > 0.0) || !std::isfinite(spec.beta))
    throw InvalidInput("beta", "feature ratio p/d must be positive and finite");
  if (!(spec.alpha > 0.0) || !std::isfinite(spec.alpha))
    throw InvalidInput("alpha", "sample ratio n/d must be positive and finite");
  const Activation& sigma = spec.activation;
  const Activation& link = spec.target;

  Result out;
  out.student = linearise(sigma, 1.0);
  const Linearisation t = linearise(link, 1.0);
  out.target_linear = t.kappa1;
  out.target_nonlinear = t.kappa_star;
  out.target_mean = t.kappa0;
  if (std::abs(out.student.kappa1) <= 1e-12 * std::sqrt(out.student.second))
    throw InvalidInput("activation", "σ has no linear component (κ1 = 0); the chain needs κ1 ≠ 0");

  // One layer of the seed-free chain; what the linearised features cannot carry is noise.
  ChainProblem chain;
  chain.input = InputSpectrum{{1.0}, {1.0}, {t.kappa1 * t.kappa1}};
  chain.layers = {ChainLayer{spec.beta, out.student.kappa1 * out.student.kappa1,
                             out.student.kappa_star * out.student.kappa_star}};
  chain.alpha = spec.alpha / spec.beta;
  chain.lambda = spec.lambda;
  chain.noise = effective_noise(spec.noise, t.kappa_star * t.kappa_star, t.kappa0 * t.kappa0, out.student.kappa0 != 0.0);
  const ChainSolution s = solve_chain(chain, options);
  out.test_error = s.test_error;
  out.train_error = s.train_error;
  out.df1 = s.df1;
  out.df2 = s.df2;
  out.nu_in = s.nu_in;
  out.nu_out = s.nu_out;
  out.summary = s.summary;
  return out;
}

}  // namespace rmtsolve::rf_ridge
