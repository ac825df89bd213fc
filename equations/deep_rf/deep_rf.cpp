#include "deep_rf.hpp"

#include <cmath>
#include <sstream>

#include "rmtsolve/numerics/matrix_checks.hpp"
#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/theory/chain.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/theory/ridge_equivalent.hpp"
#include "rmtsolve/numerics/spectral.hpp"

namespace rmtsolve::deep_rf {
namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) parts.push_back(item);
  return parts;
}

double trace_of(const Spec& s, int d) { return s.input_spectrum.size() ? s.input_spectrum.sum() : double(d); }
double mean_input_variance(const Spec& s) { return s.input_spectrum.size() ? s.input_spectrum.mean() : 1.0; }

void validate(const Spec& s) {
  if (s.layers.empty()) throw InvalidInput("widths", "needs at least one layer");
  for (const Layer& l : s.layers)
    if (!(l.width > 0.0) || !std::isfinite(l.width)) throw InvalidInput("widths", "every width k_l/d must be positive");
  if (!(s.alpha > 0.0) || !std::isfinite(s.alpha)) throw InvalidInput("alpha", "must be positive and finite");
  if (!(s.lambda >= 0.0) || !std::isfinite(s.lambda)) throw InvalidInput("lambda", "must be non-negative and finite");
  if (!(s.noise >= 0.0) || !std::isfinite(s.noise)) throw InvalidInput("noise", "must be non-negative and finite");
  if (!(s.teacher_width >= 0.0) || !std::isfinite(s.teacher_width)) throw InvalidInput("teacher-width", "must be non-negative");
  if (s.input_spectrum.size() && !(s.input_spectrum.minCoeff() > 0.0 && s.input_spectrum.allFinite()))
    throw InvalidInput("input", "input covariance eigenvalues must be positive and finite");
}

// The seed-free chain: one (γ, a, b) per layer from the global variance recursion r_{l+1} = M2_l(r_l).
Result solve_chain(const Spec& s, const TeacherMoments& t, const SolverOptions& options) {
  Result out;
  ChainProblem chain;
  const double trace_fraction = mean_input_variance(s);  // tr Σ / d
  if (s.input_spectrum.size()) {
    const auto d = static_cast<double>(s.input_spectrum.size());
    chain.input.eigenvalue.assign(s.input_spectrum.data(), s.input_spectrum.data() + s.input_spectrum.size());
    chain.input.mass.assign(chain.input.eigenvalue.size(), 1.0 / d);
    chain.input.alignment.assign(chain.input.eigenvalue.size(), t.linear2 / s.input_spectrum.sum());
  } else {
    chain.input = InputSpectrum{{1.0}, {1.0}, {t.linear2}};
  }
  double r = trace_fraction, previous_width = 1.0;
  for (size_t l = 0; l < s.layers.size(); ++l) {
    const Layer& layer = s.layers[l];
    if (layer.weights.kind != mc::WeightModel::Kind::kGaussian)
      throw InvalidInput("method", "the seed-free chain needs i.i.d. Gaussian weights; use --method drawn:D:SEED for " +
                                       layer.weights.describe() + " weights");
    const Activation& sigma = layer.activation;
    const rmtsolve::Linearisation lin = linearise(sigma, r);
    if (l + 1 < s.layers.size() && std::abs(lin.kappa0) > 1e-12 * std::sqrt(lin.second))
      throw InvalidInput("method", "a non-odd activation ('" + layer.activation.name + "') before the last layer shifts every "
                                   "neuron of the next one (docs/theory/deep.md 2.3.3); the chain does not hold: use --method drawn:D:SEED");
    if (std::abs(lin.kappa1) <= 1e-12 * std::sqrt(lin.second))
      throw InvalidInput("activations", "'" + layer.activation.name + "' has no linear component at this variance");
    chain.layers.push_back({layer.width / previous_width, lin.kappa1 * lin.kappa1, lin.kappa_star * lin.kappa_star});
    out.layers.push_back({r, lin.kappa0, lin.kappa1, lin.kappa_star});
    previous_width = layer.width;
    r = lin.second;  // Δ = 1: the next pre-activation variance is this layer's second moment
  }
  const bool features_have_mean = out.layers.back().kappa0 != 0.0;
  chain.alpha = s.alpha / s.layers.back().width;
  chain.lambda = s.lambda;
  chain.noise = effective_noise(s.noise, t.nonlinear2, t.mean2, features_have_mean);
  const ChainSolution c = solve_chain(chain, options);
  out.test_error = c.test_error;
  out.train_error = c.train_error;
  out.df1 = c.df1;
  out.df2 = c.df2;
  out.summary = c.summary;
  return out;
}

// Population moments of the drawn network, layer by layer (docs/theory/deep.md §2.3, §2.3.3).  The
// covariance is kept factored, Ω̃_l = B Bᵀ + diag(e): then W Ω̃ Wᵀ = P Pᵀ with P = W [B | diag(√e)], so a
// layer costs one product W B (and a diagonal scaling) instead of two dense k × k products, the
// input Σ never becomes a d × d matrix, and the last layer's full matrix is one syrk.  The factor's
// first d columns are D_l W_l ⋯ D_1 W_1 Σ^{1/2} = Φ_l Σ^{−1/2}, so the cross-covariance comes free.
struct Moments {
  Eigen::MatrixXd factor;  // B, k_l × m (m = d + k_1 + … + k_{l−1}, + one column per plain layer)
  Eigen::VectorXd extra;   // e ≥ 0: each neuron's variance beyond B Bᵀ
  Eigen::VectorXd mean;    // μ_l = E h_l
};

void propagate_layer(const Layer& layer, const Eigen::MatrixXd& W, Linearisation mode, Moments& m, LayerReport& report) {
  const Activation& sigma = layer.activation;
  const Eigen::Index k = W.rows(), k_in = W.cols(), m_cols = m.factor.cols();
  const bool plain = mode == Linearisation::kPlain;
  // P Pᵀ = W Ω̃ Wᵀ (offsets) or W (Ω̃ + μμᵀ) Wᵀ (plain, blind to the per-neuron offsets).
  Eigen::MatrixXd P(k, m_cols + k_in + (plain ? 1 : 0));
  if (m_cols) P.leftCols(m_cols).noalias() = W * m.factor;
  P.middleCols(m_cols, k_in).noalias() = W * m.extra.cwiseSqrt().asDiagonal();
  if (plain) P.rightCols(1).noalias() = W * m.mean;
  const Eigen::VectorXd a = P.rowwise().squaredNorm();  // diag(W Ω̃ Wᵀ) (+ (Wμ)² in the plain mode)
  Eigen::VectorXd mean(k), slope(k), variance(k);
  if (!plain) {
    const Eigen::VectorXd offset = W * m.mean;
    // One adaptive quadrature per neuron (a quarter of a drawn network's time for tanh at d = 300):
    // split over the cores, each neuron computed exactly as on one thread.
    mc::for_each_block(k, 32, [&](Eigen::Index, Eigen::Index begin, Eigen::Index end) {
      for (Eigen::Index i = begin; i < end; ++i) {
        const GaussianMoments g = gaussian_moments(sigma, offset[i], std::sqrt(std::max(a[i], 1e-300)));
        mean[i] = g.mean;
        slope[i] = g.slope;
        variance[i] = g.second - g.mean * g.mean;
      }
    });
  } else {
    const rmtsolve::Linearisation lin = linearise(sigma, a.mean());
    mean.setConstant(lin.kappa0);
    slope.setConstant(lin.kappa1);
    variance = (a.array() * lin.kappa1 * lin.kappa1 + lin.kappa_star * lin.kappa_star).matrix();
  }
  const double r = a.mean();
  const rmtsolve::Linearisation lin = linearise(sigma, r);
  report = {r, lin.kappa0, lin.kappa1, lin.kappa_star};
  // Ω̃_l = D P Pᵀ D with diagonal `variance`: the remainder is ≥ 0 (Var σ(u) ≥ Cov(σ(u), u)²/Var u,
  // slope = Cov/Var by Stein), up to rounding.
  m.extra = (variance.array() - slope.array().square() * a.array()).cwiseMax(0.0).matrix();
  P.array().colwise() *= slope.array();  // row scaling in place: no second k × m matrix
  m.factor = std::move(P);
  m.mean = mean;
}

Result solve_drawn(const Spec& s, const DrawnNetwork& net, const SolverOptions& options) {
  Result out;
  out.layers = net.layers;
  RidgeSpectrum spectrum{net.omega, net.psi2, net.signal + s.noise};
  const RidgeEquivalentResult r = solve_ridge_equivalent(spectrum, s.alpha * s.d, s.lambda, options);
  out.test_error = r.test_error;
  out.train_error = r.train_error;
  out.df1 = r.df1;
  out.df2 = r.df2;
  out.summary = r.summary;
  out.summary.method = "drawn d=" + std::to_string(s.d) + ": " + out.summary.method;
  return out;
}

}  // namespace

TeacherMoments teacher_moments(const Spec& s) {
  const Activation& link = s.target;
  // Single-index: z has unit variance.  Random-features teacher y = θᵀσ*(W* x)/√k*, W* with
  // N(0, 1/d) entries: pre-activations of variance tr Σ/d, and a linear part of variance κ1*² tr Σ/d.
  const double r = s.teacher_width > 0.0 ? mean_input_variance(s) : 1.0;
  const rmtsolve::Linearisation lin = linearise(link, r);
  return {lin.kappa1 * lin.kappa1 * r, lin.kappa_star * lin.kappa_star, lin.kappa0 * lin.kappa0};
}

DrawnNetwork draw_network(const Spec& s) {
  validate(s);
  if (s.d < 2) throw InvalidInput("method", "drawn networks need d ≥ 2");
  if (s.input_spectrum.size() && s.input_spectrum.size() != s.d)
    throw InvalidInput("input", "has " + std::to_string(s.input_spectrum.size()) + " eigenvalues, the drawn network d = " +
                                    std::to_string(s.d));
  const TeacherMoments t = teacher_moments(s);
  DrawnNetwork net;
  std::mt19937_64 rng(s.seed);
  const Eigen::VectorXd sigma_diag = s.input_spectrum.size() ? s.input_spectrum : Eigen::VectorXd::Ones(s.d);
  Moments m{Eigen::MatrixXd(s.d, 0), sigma_diag, Eigen::VectorXd::Zero(s.d)};
  Eigen::Index k_in = s.d;
  for (const Layer& layer : s.layers) {
    const auto k = static_cast<Eigen::Index>(std::max(1.0, std::round(layer.width * s.d)));
    const Eigen::MatrixXd W = mc::sample_weights(layer.weights, k, k_in, rng);
    net.layers.emplace_back();
    propagate_layer(layer, W, s.linearisation, m, net.layers.back());
    k_in = k;
  }
  const double p = static_cast<double>(k_in);
  // Ω_L = B Bᵀ + diag(e) + μμᵀ: one syrk into the lower triangle (what dsytrd 'L' reads).
  Eigen::MatrixXd omega = Eigen::MatrixXd::Zero(k_in, k_in);
  omega.selfadjointView<Eigen::Lower>().rankUpdate(m.factor, 1.0 / p);
  omega.selfadjointView<Eigen::Lower>().rankUpdate(m.mean, 1.0 / p);
  omega.diagonal() += m.extra / p;
  // Teacher averaged over its direction: E[h z] = Φ_L θ/√tr Σ, and a mean along μ_L.  Only the
  // eigenvalues of Ω_L and the energy of the teacher on each eigenvector are needed:
  //   ψ²_j = (linear²/tr Σ ‖Σ^½ Φ_Lᵀ u_j‖² + mean² (μ_Lᵀ u_j)²)/p = ‖B u_j‖²/p
  // with B stacking the scaled rows, so projected_spectrum skips forming the eigenvectors.
  Eigen::MatrixXd B(s.d + 1, k_in);
  B.topRows(s.d) = std::sqrt(t.linear2 / trace_of(s, s.d)) * (sigma_diag.cwiseSqrt().asDiagonal() *
                                                              m.factor.leftCols(s.d).transpose());
  B.row(s.d) = std::sqrt(t.mean2) * m.mean.transpose();
  const ProjectedSpectrum eig = projected_spectrum(std::move(omega), B);
  net.omega = eig.values.cwiseMax(0.0);
  net.psi2 = eig.weights / p;
  net.signal = t.linear2 + t.nonlinear2 + t.mean2;
  return net;
}

Result solve(const Spec& spec, const SolverOptions& options, const DrawnNetwork* network) {
  validate(spec);
  if (spec.method == Method::kChain) return solve_chain(spec, teacher_moments(spec), options);
  if (network) return solve_drawn(spec, *network, options);
  return solve_drawn(spec, draw_network(spec), options);
}

namespace {
std::string pick(const std::vector<std::string>& list, size_t i, size_t layers, const char* name) {
  if (list.size() == 1) return list[0];
  if (list.size() != layers)
    throw InvalidInput(name, "give one entry or one per layer (" + std::to_string(layers) + " layers)");
  return list[i];
}
}  // namespace

std::vector<Activation> parse_activations(const std::string& activations, size_t layers) {
  const auto a = split(activations);
  std::vector<Activation> out;
  for (size_t i = 0; i < layers; ++i) out.push_back(make_activation(pick(a, i, layers, "activations"), "activations"));
  return out;
}

std::vector<Layer> parse_layers(const std::string& widths, const std::string& activations, const std::string& weights) {
  const auto w = split(widths), a = split(activations), m = split(weights);
  if (w.empty()) throw InvalidInput("widths", "needs at least one width");
  const auto pick = [&](const std::vector<std::string>& list, size_t i, const char* name) {
    return rmtsolve::deep_rf::pick(list, i, w.size(), name);
  };
  std::vector<Layer> layers;
  for (size_t i = 0; i < w.size(); ++i) {
    Layer l;
    try {
      size_t used = 0;
      l.width = std::stod(w[i], &used);
      if (used != w[i].size()) throw std::invalid_argument(w[i]);
    } catch (const std::exception&) {
      throw InvalidInput("widths", "malformed width '" + w[i] + "'");
    }
    l.activation = make_activation(pick(a, i, "activations"), "activations");
    const std::string kind = pick(m, i, "weights");
    if (kind == "gaussian") l.weights.kind = mc::WeightModel::Kind::kGaussian;
    else if (kind == "orthogonal") l.weights.kind = mc::WeightModel::Kind::kOrthogonal;
    else if (kind.rfind("file:", 0) == 0) {
      l.weights.kind = mc::WeightModel::Kind::kRowCovariance;
      l.weights.C = read_matrix(kind.substr(5), "weights");
      require_symmetric(l.weights.C, "weights");  // a row covariance, checked as gcm checks its own
    } else if (kind.rfind("spectrum:", 0) == 0) {  // C = diag(eigenvalues), in the input's basis
      l.weights.kind = mc::WeightModel::Kind::kRowCovariance;
      const Eigen::MatrixXd values = read_matrix(kind.substr(9), "weights");
      l.weights.C = require_vector(values, "weights").asDiagonal();
    } else {
      throw InvalidInput("weights", "unknown weight model '" + kind + "' (gaussian, orthogonal, file:C.npy, spectrum:eig.npy)");
    }
    l.weights.prepare();  // one decomposition of C for every seed and every drawn network
    layers.push_back(std::move(l));
  }
  return layers;
}

}  // namespace rmtsolve::deep_rf
