#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/tools/minima.hpp>
#include <cmath>
#include <filesystem>
#include <random>
#include <unistd.h>

#include "equations/gcm/gcm.hpp"
#include "equations/gcm_ridge/gcm_ridge.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gauss_hermite.hpp"
#include "rmtsolve/numerics/matrix_checks.hpp"
#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/numerics/spectral.hpp"
#include "rmtsolve/engine/sweep.hpp"

using namespace rmtsolve;
using gcm::Teacher;

namespace {

gcm_ridge::Problem structured_problem(int k, int p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Eigen::MatrixXd A = mc::gaussian_matrix(p, k, rng, 1.0 / std::sqrt(double(k)));
  return gcm_ridge::Problem::from_covariances({Eigen::MatrixXd::Identity(k, k), 0.8 * A.transpose(),
                                               0.64 * A * A.transpose() + 0.36 * Eigen::MatrixXd::Identity(p, p)});
}

gcm_ridge::Problem isotropic(int p) {
  return gcm_ridge::Problem::from_spectrum({Eigen::VectorXd::Ones(p), Eigen::VectorXd::Ones(p) / p, 1.0});
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

TEST(Gcm, SquareLossAgreesWithRidge) {
  const auto pr = structured_problem(150, 200, 4);
  SolverOptions o;
  o.tolerance = 1e-13;
  for (double alpha : {0.4, 1.0, 2.5}) {
    for (double lambda : {1e-2, 1.0}) {
      const auto ridge = gcm_ridge::solve(pr, {alpha, lambda, 0.2}, gcm_ridge::Method::kRoot, o);
      const auto r = gcm::solve(pr.spectrum(), Loss::kSquare, Teacher::kLinear, {alpha, lambda, 0.2}, o);
      ASSERT_TRUE(r.summary.converged) << r.summary.brief();
      EXPECT_NEAR(r.test_mse, ridge.test_error, 1e-8 * ridge.test_error);
      EXPECT_NEAR(r.train_mse, ridge.train_error, 1e-8 * ridge.test_error);
    }
  }
}

TEST(Gcm, SquareLossOnSignLabelsIsRidgeOnTheirLinearPart) {
  // Ridge sees labels only through E y² = 1 and E[y v] = √(2/(πρ)) E[s v]: sign labels are a
  // linear teacher with ψ̃² scaled by 2/(πρ), whose remainder is noise.  The channel integrals
  // (Gauss–Hermite over ξ, sums over labels) must reproduce the closed form.
  const auto pr = structured_problem(150, 200, 5);
  RidgeSpectrum linearised = pr.spectrum();
  const double rho = linearised.sigma_y2;
  linearised.psi2 *= 2.0 / (M_PI * rho);
  linearised.sigma_y2 = 1.0;
  SolverOptions o;
  o.tolerance = 1e-13;
  for (double alpha : {0.5, 2.0}) {
    const auto ridge = solve_ridge_equivalent(linearised, alpha * 200, 0.1, o);
    const auto r = gcm::solve(pr.spectrum(), Loss::kSquare, Teacher::kSign, {alpha, 0.1, 0.0}, o);
    ASSERT_TRUE(r.summary.converged) << r.summary.brief();
    EXPECT_NEAR(r.test_mse, ridge.test_error, 1e-8);
    EXPECT_NEAR(r.train_mse, ridge.train_error, 1e-8);
  }
}

TEST(Gcm, LargeRidgeLogisticIsHebbian) {
  // λ → ∞: w ∝ Σ_μ y_μ ℓ′(y_μ, 0) f_μ for any loss, so logistic and square loss point the same way
  // (same classification error), and the training loss tends to ℓ(y, 0) = log 2.
  const auto pr = structured_problem(150, 200, 6);
  for (double alpha : {0.5, 3.0}) {
    const auto logistic = gcm::solve(pr.spectrum(), Loss::kLogistic, Teacher::kProbit, {alpha, 1e5, 0.1}, {});
    const auto square = gcm::solve(pr.spectrum(), Loss::kSquare, Teacher::kProbit, {alpha, 1e5, 0.1}, {});
    ASSERT_TRUE(logistic.summary.converged && square.summary.converged);
    EXPECT_NEAR(logistic.classification_error, square.classification_error, 1e-4);
    EXPECT_NEAR(logistic.train_loss, std::log(2.0), 1e-4);
  }
}

TEST(Gcm, LogisticNormDivergesBelowTheSeparabilityThreshold) {
  // Candès & Sur (2020): n/p noisy probit samples are linearly separable iff p/n > h with
  // h = min_t E[(Z − t Y V)_+²] (V the teacher field, Y its label, Z independent).  Computed here
  // by nested quadrature; below α_c = 1/h the ridge-less logistic norm diverges, above it stays.
  const double noise = 0.25;
  auto h = [&](double t) {
    return gaussian_expectation([&](double v) {
      double total = 0.0;
      for (double y : {-1.0, 1.0}) {
        const double a = t * y * v;
        total += normal_cdf(y * v / std::sqrt(noise)) *
                 ((1 + a * a) * normal_cdf(-a) - a * std::exp(-0.5 * a * a) / std::sqrt(2 * M_PI));
      }
      return total;
    }, 0.0, 1.0);
  };
  const auto [t_star, h_min] = boost::math::tools::brent_find_minima(h, 0.0, 10.0, 40);
  const double alpha_c = 1.0 / h_min;
  EXPECT_NEAR(alpha_c, 4.137, 0.01);  // independent numpy evaluation of the same formula
  const auto pr = isotropic(400);
  auto q_at = [&](double alpha, double lambda) {
    const auto r = gcm::solve(pr.spectrum(), Loss::kLogistic, Teacher::kProbit, {alpha, lambda, noise}, {});
    EXPECT_TRUE(r.summary.converged) << r.summary.brief();
    return r.q;
  };
  EXPECT_GT(q_at(0.5 * alpha_c, 1e-4) / q_at(0.5 * alpha_c, 1e-3), 2.0);   // separable: ‖w‖ grows as λ → 0
  EXPECT_LT(q_at(2.0 * alpha_c, 1e-4) / q_at(2.0 * alpha_c, 1e-3), 1.3);   // not separable: ‖w‖ settles
}

TEST(Gcm, ProximalOperators) {
  // Each prox satisfies its optimality condition z − ω + V ∂ℓ(y, z) ∋ 0.
  for (double y : {-1.0, 1.0}) {
    for (double omega : {-3.0, -0.2, 0.4, 2.5}) {
      for (double V : {0.1, 1.0, 7.0}) {
        const auto lg = gcm::proximal(Loss::kLogistic, y, omega, V);
        EXPECT_NEAR(lg.z - omega - V * y / (1.0 + std::exp(y * lg.z)), 0.0, 1e-12);
        const auto sq = gcm::proximal(Loss::kSquare, y, omega, V);
        EXPECT_NEAR(sq.z - omega + V * (sq.z - y), 0.0, 1e-12);
        const auto hg = gcm::proximal(Loss::kHinge, y, omega, V);
        const double slack = 1.0 - y * hg.z;  // subgradient −y·[0,1] where y z = 1
        if (slack > 1e-12) EXPECT_NEAR(hg.z - omega - V * y, 0.0, 1e-12);
        else if (slack < -1e-12) EXPECT_NEAR(hg.z, omega, 1e-12);
        else EXPECT_TRUE((hg.z - omega) * y >= -1e-12 && (hg.z - omega) * y <= V + 1e-12);
      }
    }
  }
}

TEST(Gcm, MonteCarloAgreementForLogisticAndHinge) {
  // The Gaussian model simulated exactly (p = 300, k = 200), teacher redrawn per seed.
  const auto dir = std::filesystem::temp_directory_path();
  const Model& gcm = find_model("gcm");
  // Hand the covariances to the model through files, as a user would.
  std::mt19937_64 rng(8);
  const int k = 200, p = 300;
  const Eigen::MatrixXd A = mc::gaussian_matrix(p, k, rng, 1.0 / std::sqrt(double(k)));
  const std::string tag = std::to_string(::getpid());
  const std::string psi = (dir / ("gcm_psi_" + tag + ".npy")).string(), phi = (dir / ("gcm_phi_" + tag + ".npy")).string(),
                    omega = (dir / ("gcm_omega_" + tag + ".npy")).string();
  write_npy(psi, Eigen::MatrixXd::Identity(k, k));
  write_npy(phi, 0.8 * A.transpose());
  write_npy(omega, 0.64 * A * A.transpose() + 0.36 * Eigen::MatrixXd::Identity(p, p));
  for (const char* loss : {"logistic", "hinge"}) {
    Point pt;
    pt.number = {{"alpha", 1.5}, {"lambda", 0.1}, {"noise", 0.1}, {"rho", 1.0}};
    pt.text = {{"loss", loss}, {"teacher", "probit"}, {"features", "files"}, {"omega", omega}, {"phi", phi},
               {"psi", psi}, {"spectrum", ""}, {"method", "root"}};
    std::vector<double> warm;
    const auto th = gcm.solve(pt, {}, warm);
    ASSERT_TRUE(th.summary.converged) << th.summary.brief();
    SimulationOptions o;
    o.d = 0;
    o.seeds.seeds = 10;
    const auto mc = gcm.simulate(pt, o);
    // test MSE, train MSE, classification error, training loss: 3 SE + 2 %.
    for (int i = 0; i < 4; ++i)
      EXPECT_LE(std::abs(mc[i].mean - th.values[i]), 3 * mc[i].standard_error + 0.02 * th.values[i] + 1e-8)
          << loss << " output " << gcm.outputs()[i] << ": theory " << th.values[i] << " MC " << mc[i].mean << " ± "
          << mc[i].standard_error;
  }
  for (const auto& f : {psi, phi, omega}) std::filesystem::remove(f);
}

TEST(Gcm, RejectsBadInput) {
  const auto pr = isotropic(50);
  EXPECT_THROW(gcm::solve(pr.spectrum(), Loss::kLogistic, Teacher::kLinear, {1.0, 0.1, 0.0}, {}), InvalidInput);
  EXPECT_THROW(gcm::solve(pr.spectrum(), Loss::kHinge, Teacher::kSign, {1.0, 0.1, 0.2}, {}), InvalidInput);
  EXPECT_THROW(gcm::solve(pr.spectrum(), Loss::kHinge, Teacher::kSign, {1.0, 0.0, 0.0}, {}), InvalidInput);
  EXPECT_THROW(gcm::parse_teacher("tanh"), InvalidInput);
  EXPECT_THROW(parse_loss("huber"), InvalidInput);
}

namespace {

// Ω, Φ, Ψ of a random-features-like Gaussian model (k = p/2) written as .npy files under `tag`.
std::filesystem::path gcm_files(const std::string& tag, int p, double phi_scale = 0.8) {
  const auto dir = std::filesystem::temp_directory_path() / ("rmtsolve_gcm_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const int k = p / 2;
  std::mt19937_64 rng(7);
  const Eigen::MatrixXd A = mc::gaussian_matrix(p, k, rng, 1.0 / std::sqrt(double(k)));
  write_npy((dir / "psi.npy").string(), Eigen::MatrixXd::Identity(k, k));
  write_npy((dir / "phi.npy").string(), phi_scale * A.transpose());
  write_npy((dir / "omega.npy").string(), 0.64 * A * A.transpose() + 0.36 * Eigen::MatrixXd::Identity(p, p));
  return dir;
}

SweepSpec files_curve(const std::filesystem::path& dir, const std::string& loss, int points) {
  SweepSpec spec;
  for (int i = 0; i < points; ++i) spec.grids["alpha"].push_back(0.1 + 0.1 * i);
  spec.grids["lambda"] = {0.05};
  spec.texts["loss"] = loss;
  spec.texts["teacher"] = loss == "square" ? "linear" : "sign";
  for (const char* f : {"omega", "phi", "psi"}) spec.texts[f] = (dir / (std::string(f) + ".npy")).string();
  return spec;
}

}  // namespace

// Long curves are split into warm-started segments solved on threads (SolverOptions::threads);
// each segment's head starts cold.  Serial and split runs converge to the same fixed point at the
// solver's relative tolerance (1e-12 on V, q, m): 1e-9 relative on every output leaves room for the
// conditioning of the outputs and still catches a misplaced row or a wrong warm state (O(1) errors).
TEST(Gcm, ParallelCurveSegmentsMatchTheSerialCurve) {
  const auto dir = gcm_files("segments", 120);
  const Model& gcm = find_model("gcm");
  for (const std::string loss : {"logistic", "hinge", "square"}) {
    const SweepSpec spec = files_curve(dir, loss, 40);
    SolverOptions serial, parallel;
    serial.threads = 1;
    parallel.threads = 2;
    const SweepOutcome a = run_curve(gcm, spec, serial), b = run_curve(gcm, spec, parallel);
    ASSERT_EQ(a.table.rows.size(), 40u);
    ASSERT_EQ(b.table.rows.size(), 40u);
    EXPECT_EQ(a.point_index, b.point_index);
    EXPECT_EQ(a.failed_points, 0);
    EXPECT_EQ(b.failed_points, 0);
    auto has_segments = [](const Table& t) {
      for (const auto& [key, value] : t.metadata)
        if (key == "curve_segments") return true;
      return false;
    };
    EXPECT_FALSE(has_segments(a.table));
    EXPECT_TRUE(has_segments(b.table)) << "40 points and 2 threads must be split";
    for (size_t r = 0; r < 40; ++r) {
      EXPECT_EQ(std::get<double>(a.table.rows[r][0]), std::get<double>(b.table.rows[r][0])) << "row order";
      for (const auto& out : gcm.outputs()) {
        const size_t c = static_cast<size_t>(std::find(a.table.columns.begin(), a.table.columns.end(), out) - a.table.columns.begin());
        const double x = std::get<double>(a.table.rows[r][c]), y = std::get<double>(b.table.rows[r][c]);
        if (std::isnan(x)) {
          EXPECT_TRUE(std::isnan(y)) << loss << " " << out << " row " << r;
          continue;
        }
        EXPECT_NEAR(y, x, 1e-9 * std::max(1e-12, std::abs(x))) << loss << " " << out << " row " << r;
      }
    }
  }
  // A short curve is not split (each segment must keep at least 16 points).
  SolverOptions many;
  many.threads = 8;
  const SweepOutcome short_curve = run_curve(gcm, files_curve(dir, "logistic", 20), many);
  for (const auto& [key, value] : short_curve.table.metadata) EXPECT_NE(key, "curve_segments");
  std::filesystem::remove_all(dir);
}

// The joint covariance is checked by a shifted Cholesky factorisation instead of an eigenvalue
// decomposition: an indefinite joint is refused (naming --phi), a singular PSD one is accepted.
TEST(Gcm, JointCovarianceCheck) {
  const auto dir = std::filesystem::temp_directory_path() / ("rmtsolve_gcm_joint_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const int p = 30;
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(p, p);
  write_npy((dir / "omega.npy").string(), I);
  write_npy((dir / "psi.npy").string(), I);
  const Model& gcm = find_model("gcm");
  // Φ = 1.01 e₁e₁ᵀ: [[I, Φ], [Φᵀ, I]] has the eigenvalue −0.01, invisible to the spectrum's checks
  // (the features explain only 1.01²/30 of E y²): not a covariance.
  Eigen::MatrixXd bad = Eigen::MatrixXd::Zero(p, p);
  bad(0, 0) = 1.01;
  write_npy((dir / "phi.npy").string(), bad);
  try {
    run_curve(gcm, files_curve(dir, "square", 2), {});
    ADD_FAILURE() << "an indefinite joint covariance was accepted";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.parameter(), "phi") << e.what();
  }
  // [[I, I], [I, I]]: eigenvalues 0 and 2, a valid (degenerate) covariance.  A fresh file name so
  // that the model's cache of the last problem does not answer.
  write_npy((dir / "phi_ok.npy").string(), I);
  SweepSpec spec = files_curve(dir, "square", 2);
  spec.texts["phi"] = (dir / "phi_ok.npy").string();
  const SweepOutcome ok = run_curve(gcm, spec, {});
  EXPECT_EQ(ok.failed_points, 0);
  std::filesystem::remove_all(dir);
}

// The joint check in Ω's eigenbasis (Schur complement of the shifted joint, from Ω's eigenvalues
// and the projections Φ u_j) makes the same decision as a Cholesky factorisation of the assembled
// shifted joint, on both sides of the boundary: joints with a prescribed smallest eigenvalue of
// −δ/2 (accepted) and −2δ (refused), several exact zero eigenvalues beside it; and a rank-deficient
// Ω with Φ inside its range (accepted) or with a component 1e-3 on its null space (refused: only
// the null-space term can see it, Ψ being large).  The margins (a factor 2 in δ = 1e-8, a component
// 1e-3) are ~10⁶ times the round-off of either test (~(k+p)ε‖M‖), so a disagreement is a bug.
TEST(Gcm, JointCheckInTheEigenbasisAgreesWithCholesky) {
  std::mt19937_64 rng(21);
  const int k = 12, p = 30;
  const double shift = 1e-8;
  auto decide = [&](const Eigen::MatrixXd& M, bool expected, const std::string& what) {
    const Eigen::MatrixXd Psi = M.topLeftCorner(k, k), Phi = M.topRightCorner(k, p), Omega = M.bottomRightCorner(p, p);
    const ProjectedSpectrum eig = projected_spectrum(Omega, Phi, true);
    ASSERT_EQ(eig.projections.rows(), k);
    ASSERT_EQ(eig.projections.cols(), p);
    EXPECT_EQ(positive_semidefinite_by_cholesky(M, shift), expected) << what << " (Cholesky)";
    EXPECT_EQ(joint_positive_semidefinite(Psi, eig.values, eig.projections, shift), expected) << what << " (eigenbasis)";
  };
  for (int trial = 0; trial < 5; ++trial) {
    const Eigen::MatrixXd V = Eigen::HouseholderQR<Eigen::MatrixXd>(mc::gaussian_matrix(k + p, k + p, rng)).householderQ();
    Eigen::VectorXd lambda = (mc::gaussian_matrix(k + p, 1, rng).array().abs() + 0.1).matrix();
    lambda.head(4).setZero();  // a degenerate but valid covariance
    for (const double factor : {0.5, 2.0}) {
      lambda[4] = -factor * shift;
      const Eigen::MatrixXd M = V * lambda.asDiagonal() * V.transpose();
      decide(0.5 * (M + M.transpose()), factor < 1.0, "smallest eigenvalue -" + std::to_string(factor) + " shift, trial " + std::to_string(trial));
    }
    // Ω = A Aᵀ of rank 10 < p, Φ = C Aᵀ (+ a null-space component), Ψ = C Cᵀ + 100 I.
    const Eigen::MatrixXd A = mc::gaussian_matrix(p, 10, rng), C = mc::gaussian_matrix(k, 10, rng);
    const Eigen::MatrixXd null = Eigen::MatrixXd(A.transpose()).fullPivLu().kernel();
    for (const double leak : {0.0, 1e-3}) {
      Eigen::MatrixXd M(k + p, k + p);
      const Eigen::MatrixXd Phi = C * A.transpose() + leak * mc::gaussian_matrix(k, 1, rng) * null.col(0).normalized().transpose();
      M << C * C.transpose() + 100.0 * Eigen::MatrixXd::Identity(k, k), Phi, Phi.transpose(), A * A.transpose();
      decide(M, leak == 0.0, "null-space component " + std::to_string(leak) + ", trial " + std::to_string(trial));
    }
  }
}

TEST(Gcm, SharedGaussHermiteRuleIsBuiltOnceAndEqualsAFreshOne) {
  const GaussHermiteRule& a = shared_gauss_hermite(40);
  const GaussHermiteRule fresh = gauss_hermite(40);
  EXPECT_EQ(&a, &shared_gauss_hermite(40));
  ASSERT_EQ(a.node.size(), 40);
  EXPECT_LE((a.node - fresh.node).cwiseAbs().maxCoeff(), 0.0);  // the same GSL computation, bit for bit
  EXPECT_LE((a.weight - fresh.weight).cwiseAbs().maxCoeff(), 0.0);
  // Symmetric nodes, which the logistic channel's prox symmetry relies on (to round-off).
  const GaussHermiteRule& r = shared_gauss_hermite(160);
  for (Eigen::Index i = 0; i < 160; ++i) EXPECT_NEAR(r.node[i], -r.node[159 - i], 1e-13 * (1.0 + std::abs(r.node[i])));
}
