#include "rmtsolve/theory/chain.hpp"

#include <chrono>
#include <cmath>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/root.hpp"

namespace rmtsolve {
namespace {

// Everything the chain carries from the input to the readout at one value of ν_0.
struct ChainState {
  bool feasible = true;  // ν_l > 0 at every layer
  double nu = 0.0, G = 0.0, dG = 0.0;  // ν_L, G_L(ν_L), G'_L(ν_L)
  double q = 0.0, dq = 0.0;            // q_L, q'_L (derivatives with respect to ν_L)
};

ChainState propagate(const ChainProblem& p, double nu0) {
  ChainState st;
  const InputSpectrum& in = p.input;
  for (size_t g = 0; g < in.eigenvalue.size(); ++g) {
    const double s = in.eigenvalue[g], inv = 1.0 / (s + nu0);
    st.G += in.mass[g] * inv;
    st.dG -= in.mass[g] * inv * inv;
    st.q += in.alignment[g] * s * s * inv;
    st.dq -= in.alignment[g] * s * s * inv * inv;
  }
  st.nu = nu0;
  for (const ChainLayer& l : p.layers) {
    const double nu = st.nu, G = st.G, dG = st.dG;
    const double nu_next = l.a * ((l.gamma - 1.0) * nu + nu * nu * G) - l.b;
    const double D = l.a * (l.gamma - 1.0 + 2.0 * nu * G + nu * nu * dG);  // dν_l/dν_{l−1}
    if (!(nu_next > 0.0)) {
      st.feasible = false;
      st.nu = nu_next;
      return st;
    }
    const double shifted = l.b + nu_next;
    st.G = (1.0 - (1.0 - nu * G) / l.gamma) / shifted;
    st.dG = -st.G / shifted + (G + nu * dG) / (l.gamma * D * shifted);
    st.dq /= D;
    st.nu = nu_next;
  }
  return st;
}

void validate(const ChainProblem& p) {
  auto finite_positive = [](double v) { return std::isfinite(v) && v > 0.0; };
  if (!finite_positive(p.alpha)) throw InvalidInput("alpha", "sample ratio must be positive and finite");
  if (!(std::isfinite(p.lambda) && p.lambda >= 0.0))
    throw InvalidInput("lambda", "ridge must be non-negative and finite");
  if (!(std::isfinite(p.noise) && p.noise >= 0.0))
    throw InvalidInput("noise", "noise variance must be non-negative and finite");
  const InputSpectrum& in = p.input;
  if (in.eigenvalue.empty() || in.mass.size() != in.eigenvalue.size() ||
      in.alignment.size() != in.eigenvalue.size())
    throw InvalidInput("input spectrum", "eigenvalues, masses and alignments must have equal, non-zero length");
  for (size_t g = 0; g < in.eigenvalue.size(); ++g)
    if (!finite_positive(in.eigenvalue[g]) || !finite_positive(in.mass[g]) ||
        !(std::isfinite(in.alignment[g]) && in.alignment[g] >= 0.0))
      throw InvalidInput("input spectrum", "eigenvalues and masses must be positive, alignments non-negative");
  for (const ChainLayer& l : p.layers)
    if (!finite_positive(l.gamma) || !finite_positive(l.a) || !(std::isfinite(l.b) && l.b >= 0.0))
      throw InvalidInput("layer", "width ratio and slope must be positive, remainder non-negative");
}

}  // namespace

ChainSolution solve_chain(const ChainProblem& p, const SolverOptions& options) {
  validate(p);
  const auto start = std::chrono::steady_clock::now();
  ChainSolution out;
  out.signal = p.noise;
  for (size_t g = 0; g < p.input.eigenvalue.size(); ++g) out.signal += p.input.alignment[g] * p.input.eigenvalue[g];

  constexpr double kLowest = -60.0, kHighest = 40.0;  // log ν_0 range searched for the branch
  auto feasible = [&](double t) { return propagate(p, std::exp(t)).feasible; };
  const double t_min = feasibility_boundary(feasible, kLowest, kHighest);

  // λ > 0: R(t) = (α − 1)ν_L + ν_L² G_L − λ.  λ = 0: divide by ν_L, the root of α − 1 + ν_L G_L
  // if the over-parameterised branch exists, else the boundary ν_L = 0 (under-parameterised).
  const bool ridgeless = p.lambda == 0.0;
  auto residual = [&](double t) {
    const ChainState st = propagate(p, std::exp(t));
    if (!st.feasible) return -std::max(p.lambda, 1.0);
    return ridgeless ? p.alpha - 1.0 + st.nu * st.G
                     : (p.alpha - 1.0) * st.nu + st.nu * st.nu * st.G - p.lambda;
  };
  double t = t_min;
  if (!ridgeless || residual(t_min) < 0.0) {
    RootResult root = solve_increasing_root(residual, t_min, std::max(t_min + 1.0, 5.0), options, 5.0);
    out.summary = root.summary;
    t = root.x;
  } else {
    out.summary.converged = true;
    out.summary.reason = Termination::kConverged;
    out.summary.method = "ridgeless boundary";
    out.summary.residual = 0.0;
  }
  out.summary.method = "chain: " + out.summary.method + "(log nu0)";
  const ChainState st = propagate(p, std::exp(t));
  out.nu_in = std::exp(t);
  out.nu_out = st.nu;
  out.df1 = (1.0 - st.nu * st.G) / p.alpha;
  out.df2 = (1.0 - 2.0 * st.nu * st.G - st.nu * st.nu * st.dG) / p.alpha;
  const double denominator = 1.0 - out.df2;
  out.test_error = (out.signal - st.q + st.nu * st.dq) / denominator;
  out.train_error = (1.0 - out.df1) * (1.0 - out.df1) * out.test_error;
  if (out.summary.converged && !(denominator > 1e-12)) {
    out.summary.converged = false;
    out.summary.reason = Termination::kDivergent;
    out.summary.message = "interpolation threshold: 1 - df2/n = 0, the test error diverges";
    out.test_error = std::numeric_limits<double>::infinity();
  } else if (out.summary.converged && !(std::isfinite(out.test_error) && std::isfinite(out.train_error))) {
    out.summary.converged = false;
    out.summary.reason = Termination::kNonFinite;
    out.summary.message = "errors are not finite at the root";
  }
  out.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace rmtsolve
