#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "equations/deep_rf/deep_rf.hpp"
#include "equations/gcm_ridge/gcm_ridge.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/montecarlo/weights.hpp"
#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/model/model.hpp"

using namespace rmtsolve;
using deep_rf::Method;

namespace {

deep_rf::Spec spec(const std::string& widths, const std::string& acts, double alpha, double lambda, double noise,
                   const std::string& weights = "gaussian") {
  deep_rf::Spec s;
  s.layers = deep_rf::parse_layers(widths, acts, weights);
  s.alpha = alpha;
  s.lambda = lambda;
  s.noise = noise;
  return s;
}

deep_rf::Spec drawn(deep_rf::Spec s, int d, std::uint64_t seed) {
  s.method = Method::kDrawn;
  s.d = d;
  s.seed = seed;
  return s;
}

// Theory vs Monte Carlo at d = 300, 6 seeds: 3 SE plus the model's stated allowance.
void expect_mc_agreement(const std::string& widths, const std::string& acts, double alpha, const std::string& method,
                         const std::string& weights = "gaussian", double lambda = 0.05) {
  const Model& deep = find_model("deep");
  Point pt;
  pt.number = {{"alpha", alpha}, {"lambda", lambda}, {"noise", 0.1}, {"teacher_width", 0.0}};
  pt.text = {{"widths", widths}, {"activations", acts}, {"weights", weights}, {"target", "linear"},
             {"input", "identity"}, {"method", method}, {"linearisation", "offsets"}};
  std::vector<double> warm;
  const auto th = deep.solve(pt, {}, warm);
  ASSERT_TRUE(th.summary.converged) << th.summary.brief();
  SimulationOptions o;
  o.d = 300;
  o.seeds.seeds = 6;
  const auto mc = deep.simulate(pt, o);
  const Allowance allow = deep.finite_size_allowance(pt);
  EXPECT_LE(std::abs(mc[0].mean - th.values[0]), 3 * mc[0].standard_error + allow.above * th.values[0])
      << widths << " " << acts << " alpha=" << alpha << " theory " << th.values[0] << " MC " << mc[0].mean << " ± "
      << mc[0].standard_error;
}

}  // namespace

TEST(DeepRf, DepthOneIsRandomFeatures) {
  const double table[][4] = {{2.0, 1.0, 1e-2, 0.967402164798}, {0.5, 3.0, 1e-1, 0.932299074316},
                             {3.0, 3.0, 1e-3, 0.758740226700}, {1.5, 0.7, 1.0, 1.008816175047}};
  for (const auto& [psi1, psi2, lmm, expected] : table) {
    const auto r = deep_rf::solve(spec(std::to_string(psi1), "tanh", psi2, psi2 * lmm, 0.25), {});
    ASSERT_TRUE(r.summary.converged) << r.summary.brief();
    EXPECT_NEAR(r.test_error, expected, 1e-9);
  }
  rf_ridge::Spec rf{make_activation("erf"), make_activation("hermite:0,1,0.4"), 1.3, 0.7, 0.02, 0.1};
  auto s = spec("0.7", "erf", 1.3, 0.02, 0.1);
  s.target = rf.target;
  EXPECT_NEAR(deep_rf::solve(s, {}).test_error, rf_ridge::solve(rf).test_error, 1e-9);
}

TEST(DeepRf, DrawnLinearNetworkIsRidgeOnTheProductCovariance) {
  // σ = identity: features A x with A = W2 W1, so the drawn path must equal the GCM ridge on
  // Ω = A Aᵀ, Φ = Aᵀ, Ψ = I for the same draw (seed).
  const int d = 200;
  const auto s = drawn(spec("1.5,0.8", "linear", 1.7, 0.05, 0.2), d, 11);
  std::mt19937_64 rng(11);
  const Eigen::MatrixXd W1 = mc::sample_weights({}, 300, d, rng), W2 = mc::sample_weights({}, 160, 300, rng);
  const Eigen::MatrixXd A = W2 * W1;
  const auto problem = gcm_ridge::Problem::from_covariances({Eigen::MatrixXd::Identity(d, d), A.transpose(), A * A.transpose()});
  const auto ref = gcm_ridge::solve(problem, {1.7 * d / 160.0, 0.05, 0.2}, gcm_ridge::Method::kRoot, {});
  const auto r = deep_rf::solve(s, {});
  ASSERT_TRUE(r.summary.converged);
  EXPECT_NEAR(r.test_error, ref.test_error, 1e-9);
  EXPECT_NEAR(r.train_error, ref.train_error, 1e-9);
}

// The drawn recursion keeps Ω̃ factored (README.md); this is the dense recursion of docs/theory/deep.md
// §2.3.3 written out, Ω̃_l = D W Ω̃ Wᵀ D with diagonal v, on the same draw, for a non-odd σ (so
// the per-neuron means, the extra variance and the plain mode's μμᵀ all matter).  The spectrum and
// the ψ-weighted sums are basis-free; 1e-10 is rounding of products of O(1) matrices of size ≤ 96.
TEST(DeepRf, FactoredDrawnRecursionEqualsTheDenseOne) {
  const int d = 40;
  for (auto mode : {deep_rf::Linearisation::kOffsets, deep_rf::Linearisation::kPlain}) {
    auto s = drawn(spec("2.4,1.5", "relu", 1.0, 0.1, 0.0), d, 5);
    s.input_spectrum = Eigen::VectorXd::LinSpaced(d, 0.5, 1.5);
    s.linearisation = mode;
    const deep_rf::DrawnNetwork net = deep_rf::draw_network(s);
    std::mt19937_64 rng(5);
    const Activation relu = make_activation("relu");
    Eigen::MatrixXd C = s.input_spectrum.asDiagonal(), cross = C;
    Eigen::VectorXd mu = Eigen::VectorXd::Zero(d);
    Eigen::Index k_in = d;
    for (int k : {96, 60}) {
      const Eigen::MatrixXd W = mc::sample_weights({}, k, k_in, rng);
      const bool plain = mode == deep_rf::Linearisation::kPlain;
      const Eigen::MatrixXd A = W * (plain ? Eigen::MatrixXd(C + mu * mu.transpose()) : C) * W.transpose();
      const Eigen::VectorXd offset = W * mu;
      const Linearisation lin = linearise(relu, A.diagonal().mean());
      Eigen::VectorXd slope(k), mean(k), var(k);
      for (int i = 0; i < k; ++i) {
        if (plain) {
          slope[i] = lin.kappa1, mean[i] = lin.kappa0, var[i] = A(i, i) * lin.kappa1 * lin.kappa1 + lin.kappa_star * lin.kappa_star;
        } else {
          const GaussianMoments g = gaussian_moments(relu, offset[i], std::sqrt(A(i, i)));
          slope[i] = g.slope, mean[i] = g.mean, var[i] = g.second - g.mean * g.mean;
        }
      }
      C = slope.asDiagonal() * A * slope.asDiagonal();
      C.diagonal() = var;
      cross = slope.asDiagonal() * (W * cross);
      mu = mean;
      k_in = k;
    }
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig((C + mu * mu.transpose()) / 60.0);
    Eigen::VectorXd omega = eig.eigenvalues().cwiseMax(0.0), got = net.omega;
    std::sort(omega.data(), omega.data() + omega.size());
    std::sort(got.data(), got.data() + got.size());
    EXPECT_LT((omega - got).cwiseAbs().maxCoeff(), 1e-10);
    // Σ ψ² f(ω) for f = 1 and 1/(ω + 0.1): the teacher's cross term, not only the spectrum.
    const deep_rf::TeacherMoments t = deep_rf::teacher_moments(s);
    const Eigen::MatrixXd proj = eig.eigenvectors().transpose() * cross;
    const Eigen::VectorXd psi2 = (t.linear2 / s.input_spectrum.sum() * proj.rowwise().squaredNorm() +
                                  t.mean2 * (eig.eigenvectors().transpose() * mu).array().square().matrix()) / 60.0;
    EXPECT_NEAR(psi2.sum(), net.psi2.sum(), 1e-10);
    const Eigen::ArrayXd w_ref = eig.eigenvalues().cwiseMax(0.0).array(), w_got = net.omega.array();
    EXPECT_NEAR((psi2.array() / (w_ref + 0.1)).sum(), (net.psi2.array() / (w_got + 0.1)).sum(), 1e-9);
  }
}

// The per-neuron Gaussian moments of a drawn network are split over threads in fixed blocks: the
// same network on 1 and on 3 threads must give the same spectrum and teacher weights.  Each neuron
// is computed by the same operations either way, so any difference is a bug; 1e-14 relative leaves
// room only for a change of BLAS path, not for a misplaced neuron (an O(1) change).
TEST(DeepRf, DrawnNetworkDoesNotDependOnTheThreadCount) {
  const auto s = drawn(spec("2,1.5", "tanh", 1.0, 0.1, 0.0), 60, 3);
  const int before = mc::set_sampling_threads(1);
  const deep_rf::DrawnNetwork one = deep_rf::draw_network(s);
  mc::set_sampling_threads(3);
  const deep_rf::DrawnNetwork three = deep_rf::draw_network(s);
  mc::set_sampling_threads(before);
  ASSERT_EQ(one.omega.size(), three.omega.size());
  EXPECT_LE((one.omega - three.omega).cwiseAbs().maxCoeff(), 1e-14 * one.omega.cwiseAbs().maxCoeff());
  EXPECT_LE((one.psi2 - three.psi2).cwiseAbs().maxCoeff(), 1e-14 * one.psi2.cwiseAbs().maxCoeff());
  for (size_t l = 0; l < one.layers.size(); ++l) EXPECT_NEAR(one.layers[l].r, three.layers[l].r, 1e-14 * one.layers[l].r);
}

TEST(DeepRf, ChainMatchesDrawnNetworksAtLargeWidth) {
  for (const char* widths : {"2,1.5", "1,1,1"}) {
    for (const char* act : {"tanh", "linear"}) {
      const auto s = spec(widths, act, 1.5, 0.05, 0.1);
      const double chain = deep_rf::solve(s, {}).test_error;
      const double one_draw = deep_rf::solve(drawn(s, 700, 3), {}).test_error;
      EXPECT_NEAR(one_draw, chain, 0.02 * chain) << widths << " " << act;
    }
  }
}

TEST(DeepRf, RidgelessLimitAndInterpolationThreshold) {
  // n = p at λ = 0 diverges and says so; either side converges, continuous with small λ.
  const auto at = deep_rf::solve(spec("2,1.5", "tanh", 1.5, 0.0, 0.1), {});
  EXPECT_FALSE(at.summary.converged);
  EXPECT_EQ(at.summary.reason, Termination::kDivergent);
  for (double alpha : {0.8, 3.0}) {
    const auto zero = deep_rf::solve(spec("2,1.5", "tanh", alpha, 0.0, 0.1), {});
    const auto tiny = deep_rf::solve(spec("2,1.5", "tanh", alpha, 1e-9, 0.1), {});
    ASSERT_TRUE(zero.summary.converged && tiny.summary.converged) << zero.summary.brief();
    EXPECT_NEAR(zero.test_error, tiny.test_error, 1e-6 * zero.test_error);
  }
}

TEST(DeepRf, NonOddCorrectionReproducesReferenceTable) {
  // docs/theory/deep.md §2.3.3 (ReLU, L = 2, d = 300, k = 600, τ² = 0.1): naive and per-neuron columns.
  const double rows[][4] = {{0.01, 1, 1.198, 1.135}, {0.01, 2, 1.313, 1.078}, {0.01, 3, 1.181, 0.966},
                            {0.1, 2, 0.866, 0.809},  {0.1, 3, 0.819, 0.752}};
  for (const auto& [lambda, alpha, naive, offsets] : rows) {
    auto s = drawn(spec("2,2", "relu", alpha, lambda, 0.1), 300, 1);
    const double corrected = deep_rf::solve(s, {}).test_error;
    s.linearisation = deep_rf::Linearisation::kPlain;
    const double plain = deep_rf::solve(s, {}).test_error;
    // One draw at d = 300 against the note's draw: 1 % for the naive column, 2.5 % for the
    // per-neuron one (its values move more with the draw).
    EXPECT_NEAR(plain, naive, 0.01 * naive) << lambda << " " << alpha;
    EXPECT_NEAR(corrected, offsets, 0.025 * offsets) << lambda << " " << alpha;
  }
}

TEST(DeepRf, TeacherNetworkIsALinearTeacherPlusNoise) {
  // docs/theory/deep.md §3.7: a sign random-features teacher is a linear teacher with F² = 2/π, τ² = 1 − 2/π.
  auto s = spec("1", "tanh", 1.0, 0.1, 0.0);
  s.target = make_activation("sign");
  s.teacher_width = 2.0;
  const auto t = deep_rf::teacher_moments(s);
  EXPECT_NEAR(t.linear2, 2.0 / M_PI, 1e-10);
  EXPECT_NEAR(t.nonlinear2, 1.0 - 2.0 / M_PI, 1e-10);
  EXPECT_NEAR(t.mean2, 0.0, 1e-14);
}

TEST(DeepRf, MonteCarloAgreementTanhErfDepthsOneToThree) {
  expect_mc_agreement("2", "tanh", 1.0, "chain");
  expect_mc_agreement("2,1.5", "tanh", 2.0, "chain");
  expect_mc_agreement("1.5,1.5,1", "erf", 1.5, "chain");
}

TEST(DeepRf, MonteCarloAgreementReluWithCorrectionAndOrthogonalWeights) {
  expect_mc_agreement("2,2", "relu", 2.0, "drawn:300:5", "gaussian", 0.1);
  expect_mc_agreement("1,1", "tanh", 1.5, "drawn:300:5", "orthogonal");
}

TEST(DeepRf, RejectsWhatTheChainCannotDo) {
  EXPECT_THROW(deep_rf::solve(spec("2,2", "relu", 1.0, 0.1, 0.1), {}), InvalidInput);  // non-odd before the last layer
  EXPECT_THROW(deep_rf::solve(spec("1,1", "tanh", 1.0, 0.1, 0.1, "orthogonal"), {}), InvalidInput);
  EXPECT_THROW(deep_rf::parse_layers("2,x", "tanh", "gaussian"), InvalidInput);
  EXPECT_THROW(deep_rf::parse_layers("2,1", "tanh,erf,relu", "gaussian"), InvalidInput);
  EXPECT_THROW(deep_rf::parse_layers("2", "tanh", "uniform"), InvalidInput);
  EXPECT_THROW(deep_rf::parse_layers("2", "tanh", "file:/nonexistent.npy"), InvalidInput);
  EXPECT_THROW(deep_rf::solve(spec("2", "tanh", -1.0, 0.1, 0.1), {}), InvalidInput);
  // ReLU at the last layer only is fine for the chain (its mean direction is a free bias).
  EXPECT_TRUE(deep_rf::solve(spec("2,1", "tanh,relu", 1.0, 0.1, 0.1), {}).summary.converged);
}

TEST(DeepRf, StructuredRowCovarianceFromASpectrum) {
  // Rows N(0, C) with C = diag(c): a spectrum file and the same matrix file give the same network,
  // and C = I/d reproduces i.i.d. Gaussian weights exactly (same draws).
  const int d = 120;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid());
  const std::string spectrum = (dir / ("deep_c_spec_" + tag + ".npy")).string(), matrix = (dir / ("deep_c_mat_" + tag + ".npy")).string();
  Eigen::VectorXd c = Eigen::VectorXd::LinSpaced(d, 0.2, 1.8) / d;
  write_npy(spectrum, c);
  write_npy(matrix, Eigen::MatrixXd(c.asDiagonal()));
  auto s = drawn(spec("1.5", "tanh", 1.3, 0.05, 0.1, "spectrum:" + spectrum), d, 4);
  auto m = drawn(spec("1.5", "tanh", 1.3, 0.05, 0.1, "file:" + matrix), d, 4);
  EXPECT_NEAR(deep_rf::solve(s, {}).test_error, deep_rf::solve(m, {}).test_error, 1e-12);
  write_npy(spectrum, Eigen::VectorXd::Constant(d, 1.0 / d));
  auto iso = drawn(spec("1.5", "tanh", 1.3, 0.05, 0.1, "spectrum:" + spectrum), d, 4);
  const double structured = deep_rf::solve(iso, {}).test_error;
  const double gaussian = deep_rf::solve(drawn(spec("1.5", "tanh", 1.3, 0.05, 0.1), d, 4), {}).test_error;
  EXPECT_NEAR(structured, gaussian, 1e-9 * gaussian);
  std::filesystem::remove(spectrum);
  std::filesystem::remove(matrix);
}
