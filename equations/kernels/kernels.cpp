#include "kernels.hpp"

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/io/table.hpp"

namespace rmtsolve::kernels {
namespace {

// Σ and Θ for every pair, the diagonals Σ(x,x) = q and Θ(x,x), and optionally ∂Σ/∂Σ_0, ∂Θ/∂Σ_0
// (the slopes of a dot-product kernel).
struct State {
  Eigen::ArrayXd q1, q2, t1, t2;
  Eigen::ArrayXXd sigma, theta;
  bool derivatives = false;
  Eigen::ArrayXXd dsigma, dtheta;
};

// a·b with 0·∞ = 0: a slope that diverges at a kink (∂V̇/∂Σ at ρ = ±1) times a factor that is
// exactly zero contributes nothing.
double times(double a, double b) { return a == 0.0 || b == 0.0 ? 0.0 : a * b; }

void check_non_negative(double v, const std::string& what) {
  if (!(v >= 0.0) || !std::isfinite(v)) throw InvalidInput(what, "must be finite and non-negative, got " + std::to_string(v));
}

void apply_dense(const Dense& l, Parametrisation p, double input_dim, State& s) {
  const double w2 = l.W_std * l.W_std, b2 = l.b_std * l.b_std;
  const double fan_in = l.fan_in > 0.0 ? l.fan_in : input_dim;
  // Θ gains the gradients of this layer's own weights (a·Σ_in) and biases (c).
  const double a = l.weight_lr * (p == Parametrisation::kNtk ? w2 : fan_in);
  const double c = l.bias_lr * (p == Parametrisation::kNtk ? b2 : 1.0);
  s.theta = a * s.sigma + c + w2 * s.theta;
  s.t1 = a * s.q1 + c + w2 * s.t1;
  s.t2 = a * s.q2 + c + w2 * s.t2;
  if (s.derivatives) {
    s.dtheta = a * s.dsigma + w2 * s.dtheta;
    s.dsigma = w2 * s.dsigma;
  }
  s.sigma = w2 * s.sigma + b2;
  s.q1 = w2 * s.q1 + b2;
  s.q2 = w2 * s.q2 + b2;
}

void apply_activation(const DualActivation& phi, State& s) {
  for (Eigen::Index j = 0; j < s.sigma.cols(); ++j) {
    for (Eigen::Index i = 0; i < s.sigma.rows(); ++i) {
      const double q1 = s.q1(i), q2 = s.q2(j), sg = s.sigma(i, j);
      const double vdot = phi.Vdot(q1, q2, sg);
      if (s.derivatives) {
        s.dtheta(i, j) = times(times(phi.dVdot(q1, q2, sg), s.dsigma(i, j)), s.theta(i, j)) + times(vdot, s.dtheta(i, j));
        s.dsigma(i, j) = times(phi.dV(q1, q2, sg), s.dsigma(i, j));
      }
      s.theta(i, j) *= vdot;
      s.sigma(i, j) = phi.V(q1, q2, sg);
    }
  }
  for (Eigen::Index i = 0; i < s.q1.size(); ++i) {
    s.t1(i) *= phi.Vdot_diag(s.q1(i));
    s.q1(i) = phi.Vdiag(s.q1(i));
  }
  for (Eigen::Index j = 0; j < s.q2.size(); ++j) {
    s.t2(j) *= phi.Vdot_diag(s.q2(j));
    s.q2(j) = phi.Vdiag(s.q2(j));
  }
}

// The same through the dual's Mehler series (MehlerSeries): coefficients once per distinct
// variance, then a K-term polynomial in ρ per pair, the pairs split over the cores.  A variance
// whose series does not reach the tolerance (very large q) falls back to the pairwise rule.
void apply_activation_series(const DualActivation& phi, const MehlerSeries& series, State& s) {
  const Eigen::Index n1 = s.q1.size(), n2 = s.q2.size();
  const bool same = n1 == n2 && (s.q1 == s.q2).all();
  Eigen::ArrayXd q(same ? n1 : n1 + n2);
  q.head(n1) = s.q1;
  if (!same) q.tail(n2) = s.q2;
  const MehlerCoefficients c = series.coefficients(q);
  const Eigen::Index offset = same ? 0 : n1, terms = c.phi.rows();
  auto columns = [&](Eigen::Index begin, Eigen::Index end) {
    for (Eigen::Index j = begin; j < end; ++j) {
      const Eigen::Index b = offset + j;
      for (Eigen::Index i = 0; i < n1; ++i) {
        const double q1 = s.q1(i), q2 = s.q2(j), sg = s.sigma(i, j);
        if (!c.converged[size_t(i)] || !c.converged[size_t(b)]) {
          s.theta(i, j) *= phi.Vdot(q1, q2, sg);
          s.sigma(i, j) = phi.V(q1, q2, sg);
          continue;
        }
        const double p = q1 * q2, rho = p > 0.0 ? std::clamp(sg / std::sqrt(p), -1.0, 1.0) : 0.0;
        s.theta(i, j) *= MehlerSeries::sum(c.dphi.col(i).data(), c.dphi.col(b).data(), terms, rho);
        s.sigma(i, j) = MehlerSeries::sum(c.phi.col(i).data(), c.phi.col(b).data(), terms, rho);
      }
    }
  };
  const Eigen::Index work = n1 * n2 * terms;
  const Eigen::Index threads = std::max<Eigen::Index>(
      1, std::min({Eigen::Index(std::thread::hardware_concurrency()), work / 200000, n2}));
  std::vector<std::thread> pool;
  for (Eigen::Index t = 1; t < threads; ++t)
    pool.emplace_back(columns, n2 * t / threads, n2 * (t + 1) / threads);
  columns(0, n2 / threads);
  for (std::thread& t : pool) t.join();
  for (Eigen::Index i = 0; i < n1; ++i) {
    s.t1(i) *= c.converged[size_t(i)] ? c.dsecond(i) : phi.Vdot_diag(s.q1(i));
    s.q1(i) = c.converged[size_t(i)] ? c.second(i) : phi.Vdiag(s.q1(i));
  }
  for (Eigen::Index j = 0; j < n2; ++j) {
    const Eigen::Index b = offset + j;
    s.t2(j) *= c.converged[size_t(b)] ? c.dsecond(b) : phi.Vdot_diag(s.q2(j));
    s.q2(j) = c.converged[size_t(b)] ? c.second(b) : phi.Vdiag(s.q2(j));
  }
}

State propagate(const Architecture& arch, State s, double input_dim) {
  for (const HiddenLayer& layer : arch.hidden) {
    apply_dense(layer.dense, arch.parametrisation, input_dim, s);
    const MehlerSeries* series = layer.activation.series();
    if (series && !s.derivatives) apply_activation_series(layer.activation, *series, s);
    else apply_activation(layer.activation, s);
  }
  apply_dense(arch.readout, arch.parametrisation, input_dim, s);
  return s;
}

void check_inputs(const Eigen::MatrixXd& X, const char* name) {
  if (X.cols() < 1) throw InvalidInput(name, "inputs need at least one column");
  if (!X.allFinite()) throw InvalidInput(name, "inputs must be finite");
}

}  // namespace

Parametrisation parse_parametrisation(const std::string& text, const std::string& parameter) {
  if (text == "ntk") return Parametrisation::kNtk;
  if (text == "standard") return Parametrisation::kStandard;
  throw InvalidInput(parameter, "must be ntk or standard, got '" + text + "'");
}

Architecture Architecture::fully_connected(const DualActivation& phi, int depth, double W_std, double b_std,
                                           Parametrisation p, double width) {
  if (depth < 0) throw InvalidInput("depth", "must be non-negative");
  Architecture arch;
  arch.parametrisation = p;
  Dense dense{W_std, b_std};
  for (int l = 0; l < depth; ++l) {
    dense.fan_in = l == 0 ? 0.0 : width;
    arch.hidden.push_back({dense, phi});
  }
  arch.readout = dense;
  arch.readout.fan_in = depth == 0 ? 0.0 : width;
  return arch;
}

void Architecture::validate(bool input_dim_known) const {
  auto check = [&](const Dense& l, size_t index) {
    const std::string where = index == hidden.size() ? "readout " : "layer " + std::to_string(index + 1) + " ";
    check_non_negative(l.W_std, where + "W_std");
    check_non_negative(l.b_std, where + "b_std");
    check_non_negative(l.weight_lr, where + "weight_lr");
    check_non_negative(l.bias_lr, where + "bias_lr");
    check_non_negative(l.fan_in, where + "fan_in");
    const bool first = index == 0;
    if (parametrisation == Parametrisation::kStandard && l.fan_in == 0.0 && !(first && input_dim_known))
      throw InvalidInput(where + "fan_in", "the standard parametrisation needs the width of this layer's input");
  };
  for (size_t l = 0; l < hidden.size(); ++l) check(hidden[l].dense, l);
  check(readout, hidden.size());
}

KernelPair nngp_ntk(const Architecture& arch, const Eigen::MatrixXd& X1, const Eigen::MatrixXd& X2) {
  check_inputs(X1, "X1");
  check_inputs(X2, "X2");
  if (X1.cols() != X2.cols()) throw InvalidInput("X2", "inputs must have the same dimension as X1");
  arch.validate(true);
  const double d = static_cast<double>(X1.cols());
  State s;
  s.sigma = (X1 * X2.transpose()).array() / d;
  s.theta = Eigen::ArrayXXd::Zero(X1.rows(), X2.rows());
  s.q1 = X1.rowwise().squaredNorm().array() / d;
  s.q2 = X2.rowwise().squaredNorm().array() / d;
  s.t1 = Eigen::ArrayXd::Zero(X1.rows());
  s.t2 = Eigen::ArrayXd::Zero(X2.rows());
  s = propagate(arch, std::move(s), d);
  return {s.sigma.matrix(), s.theta.matrix(), s.q1.matrix(), s.t1.matrix(), s.q2.matrix(), s.t2.matrix()};
}

KernelPair nngp_ntk(const Architecture& arch, const Eigen::MatrixXd& X) { return nngp_ntk(arch, X, X); }

DotProductKernel::DotProductKernel(Architecture arch) : arch_(std::move(arch)) { arch_.validate(false); }

DotProductValues DotProductKernel::at(double rho) const {
  if (!(rho >= -1.0 && rho <= 1.0)) throw InvalidInput("rho", "must be in [-1, 1], got " + format_exact(rho));
  State s;
  s.q1 = s.q2 = Eigen::ArrayXd::Ones(1);
  s.t1 = s.t2 = Eigen::ArrayXd::Zero(1);
  s.sigma = Eigen::ArrayXXd::Constant(1, 1, rho);
  s.theta = Eigen::ArrayXXd::Zero(1, 1);
  s.derivatives = true;
  s.dsigma = Eigen::ArrayXXd::Ones(1, 1);
  s.dtheta = Eigen::ArrayXXd::Zero(1, 1);
  s = propagate(arch_, std::move(s), 0.0);
  return {s.sigma(0, 0), s.theta(0, 0), s.dsigma(0, 0), s.dtheta(0, 0)};
}

ProportionalConstants DotProductKernel::nngp_constants() const {
  const DotProductValues zero = at(0.0), one = at(1.0);
  return {zero.nngp, zero.nngp_deriv, one.nngp - zero.nngp - zero.nngp_deriv};
}

ProportionalConstants DotProductKernel::ntk_constants() const {
  const DotProductValues zero = at(0.0), one = at(1.0);
  return {zero.ntk, zero.ntk_deriv, one.ntk - zero.ntk - zero.ntk_deriv};
}

}  // namespace rmtsolve::kernels
