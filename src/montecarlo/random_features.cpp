#include "rmtsolve/montecarlo/random_features.hpp"

#include <cmath>

#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::mc {

ReadoutData sample_random_features(const RandomFeaturesSample& s, std::mt19937_64& rng) {
  Eigen::MatrixXd W = unit_rows(s.p, s.d, rng);
  const Teacher teacher{&s.link, random_direction(s.d, rng), s.noise};
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.p));
  const Eigen::MatrixXf W_single = s.single_precision ? Eigen::MatrixXf(W.cast<float>()) : Eigen::MatrixXf();
  auto features = [&](const Eigen::MatrixXd& X) {
    return activated_product(X, W, W_single, s.sigma, scale, s.single_precision);
  };
  ReadoutData data = draw_readout_data(features, teacher, s.d, s.n, s.n_test, rng);
  recycle(W);
  return data;
}

ReadoutErrors simulate_random_features(const RandomFeaturesSample& s, std::mt19937_64& rng) {
  ReadoutData data = sample_random_features(s, rng);
  const ReadoutErrors errors = evaluate_readout(data, {Loss::kSquare, s.lambda});
  recycle(data.F);  // the next seed of this thread draws into the same storage
  recycle(data.F_test);
  return errors;
}

}  // namespace rmtsolve::mc
