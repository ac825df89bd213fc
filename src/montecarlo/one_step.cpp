#include "rmtsolve/montecarlo/one_step.hpp"

#include <cmath>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::mc {
namespace {

// σ(X Wᵀ + shift_scale·(X v)/√d)/√p, the products and σ in float32 when `single_precision` (the
// shift's matrix-vector product stays in double; the features are returned in double).
FeatureMap scaled_features(const Activation& sigma, const Eigen::MatrixXd& W, double shift_scale,
                           const Eigen::VectorXd* spike, bool single_precision) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(W.rows()));
  auto shift = [shift_scale, spike](const Eigen::MatrixXd& X) {
    return Eigen::VectorXd(shift_scale * (X * *spike) / std::sqrt(static_cast<double>(X.cols())));
  };
  if (single_precision) {
    return [&sigma, W_single = Eigen::MatrixXf(W.cast<float>()), spike, shift, scale](const Eigen::MatrixXd& X) {
      Eigen::MatrixXf F = X.cast<float>() * W_single.transpose();
      if (spike) F.colwise() += shift(X).cast<float>();
      apply_activation(sigma, F);
      return Eigen::MatrixXd(F.cast<double>() * scale);
    };
  }
  return [&sigma, &W, spike, shift, scale](const Eigen::MatrixXd& X) {
    Eigen::MatrixXd F = X * W.transpose();
    if (spike) F.colwise() += shift(X);
    apply_activation(sigma, F);
    F *= scale;
    return F;
  };
}

}  // namespace

ReadoutData sample_one_step_network(const OneStepSample& s, std::mt19937_64& rng) {
  if (!s.sigma.df) throw InvalidInput("activation", "the gradient step needs a differentiable activation");
  Eigen::MatrixXd W = unit_rows(s.p, s.d, rng);
  Teacher teacher{&s.link, random_direction(s.d, rng), s.noise};
  teacher.noise_inside = s.noise_inside;
  if (s.n0 > 0 && s.eta != 0.0) {
    const Eigen::MatrixXd X0 = gaussian_matrix(s.n0, s.d, rng);
    const Eigen::VectorXd y0 = teacher.labels(X0, rng);
    throw_if_interrupted();  // the step is two n0 × d × p products: seconds at d in the thousands
    Eigen::MatrixXd slope = X0 * W.transpose();  // n0 × p pre-activations, then σ′ in place
    const Eigen::VectorXd residual = y0 - activation_with_slope(s.sigma, slope).rowwise().mean();  // f0 = (1/p) Σ_i σ(w_i·x)
    slope.array().colwise() *= residual.array();
    throw_if_interrupted();
    W.noalias() += (s.eta / s.n0) * slope.transpose() * X0;
  }
  return draw_readout_data(scaled_features(s.sigma, W, 0.0, nullptr, s.single_precision), teacher, s.d, s.n, s.n_test, rng);
}

ReadoutErrors simulate_one_step_network(const OneStepSample& s, std::mt19937_64& rng) {
  return evaluate_readout(sample_one_step_network(s, rng), {Loss::kSquare, s.lambda});
}

ReadoutData sample_spiked_features(const SpikedSample& s, std::mt19937_64& rng) {
  const Eigen::MatrixXd W = std::sqrt(s.c) * unit_rows(s.p, s.d, rng);
  const Eigen::VectorXd v = random_direction(s.d, rng);
  Eigen::VectorXd zeta = random_direction(s.d, rng);
  zeta -= v * (v.dot(zeta) / s.d);
  zeta *= std::sqrt(static_cast<double>(s.d)) / zeta.norm();
  const double rho = std::sqrt(std::max(0.0, 1.0 - s.gamma * s.gamma));
  Teacher teacher{&s.link, s.gamma * v + rho * zeta, s.noise};
  teacher.noise_inside = s.noise_inside;
  return draw_readout_data(scaled_features(s.sigma, W, s.r, &v, s.single_precision), teacher, s.d, s.n, s.n_test, rng);
}

ReadoutErrors simulate_spiked_features(const SpikedSample& s, std::mt19937_64& rng) {
  return evaluate_readout(sample_spiked_features(s, rng), {Loss::kSquare, s.lambda});
}

}  // namespace rmtsolve::mc
