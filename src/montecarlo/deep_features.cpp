#include "rmtsolve/montecarlo/deep_features.hpp"

#include <cmath>

#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::mc {

ReadoutData sample_deep_features(const DeepSample& s, std::mt19937_64& rng) {
  std::vector<Eigen::MatrixXd> W;
  Eigen::Index k_in = s.d;
  for (const auto& layer : s.layers) {
    throw_if_interrupted();  // an orthogonal or file-given layer can take a while to draw
    W.push_back(sample_weights(layer.weights, layer.width, k_in, rng));
    k_in = layer.width;
  }
  Teacher teacher{&s.link, {}, s.noise};
  teacher.noise_inside = s.noise_inside;
  if (s.teacher_width > 0) {
    teacher.hidden = gaussian_matrix(s.teacher_width, s.d, rng, 1.0 / std::sqrt(static_cast<double>(s.d)));
    teacher.theta = gaussian_matrix(s.teacher_width, 1, rng);
  } else {
    // θ scaled so that z = ⟨θ, x⟩/√tr Σ has exactly unit variance: θᵀΣθ = tr Σ.
    teacher.theta = gaussian_matrix(s.d, 1, rng);
    teacher.norm = s.input_sd.size() ? s.input_sd.squaredNorm() : static_cast<double>(s.d);
    const double spread = s.input_sd.size() ? (s.input_sd.asDiagonal() * teacher.theta).squaredNorm() : teacher.theta.squaredNorm();
    teacher.theta *= std::sqrt(teacher.norm / spread);
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(k_in));
  std::vector<Eigen::MatrixXf> W_single;
  if (s.single_precision)
    for (const auto& w : W) W_single.emplace_back(w.cast<float>());
  auto features_single = [&](const Eigen::MatrixXd& X) {
    Eigen::MatrixXf H = X.cast<float>();
    for (size_t l = 0; l < W.size(); ++l) {
      throw_if_interrupted();  // one GEMM per layer
      Eigen::MatrixXf next = H * W_single[l].transpose();
      apply_activation(s.layers[l].sigma, next);
      H = std::move(next);
    }
    return Eigen::MatrixXd(H.cast<double>() * scale);
  };
  auto features = [&](const Eigen::MatrixXd& X) {
    if (s.single_precision) return features_single(X);
    Eigen::MatrixXd H = X;
    for (size_t l = 0; l < W.size(); ++l) {
      throw_if_interrupted();
      Eigen::MatrixXd next = H * W[l].transpose();
      apply_activation(s.layers[l].sigma, next);
      H = std::move(next);
    }
    return Eigen::MatrixXd(H * scale);
  };
  return draw_readout_data(features, teacher, s.d, s.n, s.n_test, rng, s.input_sd);
}

ReadoutErrors simulate_deep_features(const DeepSample& s, std::mt19937_64& rng) {
  return evaluate_readout(sample_deep_features(s, rng), s.estimator);
}

}  // namespace rmtsolve::mc
