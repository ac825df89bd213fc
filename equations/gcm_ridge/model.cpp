
#include "gcm_ridge.hpp"
#include "rmtsolve/cache.hpp"
#include "rmtsolve/error.hpp"
#include "rmtsolve/matrix_io.hpp"
#include "rmtsolve/model.hpp"
#include "rmtsolve/montecarlo/ridge.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/spectral.hpp"

namespace rmtsolve::gcm_ridge {
namespace {

Method method_of(const std::string& m) {
  if (m == "root") return Method::kRoot;
  if (m == "iteration") return Method::kIteration;
  throw InvalidInput("method", "must be root or iteration, got '" + m + "'");
}

// Inputs loaded and decomposed once per distinct set of files.
struct Prepared {
  Problem problem;
  Eigen::MatrixXd joint_factor;  // L with LLᵀ = [[Ψ, Φ], [Φᵀ, Ω]], for sampling (covariance input)
  Eigen::Index k = 0;
};

class GcmModel final : public Model {
 public:
  std::string name() const override { return "gcm"; }
  std::string description() const override {
    return "Gaussian covariate model, ridge loss, teacher averaged (covariances from files, or a spectrum)";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"alpha", "alpha = n/p, training samples per student feature", 1.0, Domain::kPositive},
            {"lambda", "lambda, ridge on the un-normalised squared loss", 1e-2, Domain::kNonNegative},
            {"noise", "Delta, label-noise variance", 0.0, Domain::kNonNegative},
            {"rho", "rho = tr(Psi)/k, teacher signal (with --spectrum only)", 1.0, Domain::kNonNegative}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"omega", "student covariance Omega (p x p), .npy or CSV", ""},
            {"phi", "teacher-student covariance Phi = E[u v^T] (k x p), .npy or CSV", ""},
            {"psi", "teacher covariance Psi (k x k), .npy or CSV", ""},
            {"spectrum", "instead of matrices: two columns (omega_j, t_j = |Phi u_j|^2/k)", ""},
            {"method", "root (scalar root in log kappa) or iteration (GCM state evolution)", "root"}};
  }
  std::vector<std::string> outputs() const override {
    return {"test_error", "train_error", "kappa", "df1", "df2", "V", "q", "m"};
  }
  PointResult solve(const rmtsolve::Point& pt, const SolverOptions& options, std::vector<double>& warm) const override {
    const Method method = method_of(pt.str("method"));
    const auto prepared = prepare(pt);
    Eigen::VectorXd state = Eigen::Map<const Eigen::VectorXd>(warm.data(), static_cast<Eigen::Index>(warm.size()));
    const Result r = gcm_ridge::solve(prepared->problem, Setting{pt["alpha"], pt["lambda"], pt["noise"]}, method, options, &state);
    warm.assign(state.data(), state.data() + state.size());
    return {{r.test_error, r.train_error, r.kappa, r.df1, r.df2, r.V, r.q, r.m}, r.summary};
  }
  std::vector<std::string> simulated_outputs() const override { return {"test_error", "train_error"}; }
  std::vector<mc::Estimate> simulate(const rmtsolve::Point& pt, const SimulationOptions& o) const override {
    const auto prep = prepare(pt);
    if (prep->joint_factor.size() == 0)
      throw InvalidInput("spectrum", "Monte Carlo needs the covariance matrices (--omega, --phi, --psi)");
    const Eigen::Index p = prep->problem.p(), k = prep->k;
    const int n = size_from_ratio(pt["alpha"], static_cast<int>(p), "alpha");
    const int n_test = o.n_test > 0 ? o.n_test : 4000;
    const double lambda = pt["lambda"], noise = pt["noise"];
    return mc::run_seeds(o.seeds, [&](std::mt19937_64& rng) {
      const Eigen::VectorXd theta = mc::gaussian_matrix(k, 1, rng);
      auto draw = [&](int rows, Eigen::MatrixXd& features, Eigen::VectorXd& y) {
        const Eigen::MatrixXd uv = mc::gaussian_matrix(rows, k + p, rng) * prep->joint_factor.transpose();
        y = uv.leftCols(k) * theta / std::sqrt(static_cast<double>(k));
        if (noise > 0.0) y += std::sqrt(noise) * mc::gaussian_matrix(rows, 1, rng);
        features = uv.rightCols(p) / std::sqrt(static_cast<double>(p));
      };
      Eigen::MatrixXd F, Ft;
      Eigen::VectorXd y, yt;
      draw(n, F, y);
      const Eigen::VectorXd a = mc::ridge_readout(F, y, lambda);
      draw(n_test, Ft, yt);
      return std::vector<double>{(yt - Ft * a).squaredNorm() / n_test, (y - F * a).squaredNorm() / n};
    });
  }

 private:
  std::shared_ptr<const Prepared> prepare(const rmtsolve::Point& pt) const {
    const std::string key = pt.str("omega") + "\n" + pt.str("phi") + "\n" + pt.str("psi") + "\n" +
                            pt.str("spectrum") + "\n" + std::to_string(pt["rho"]);
    return cache_.get(key, [&] { return load(pt); });
  }

  static Prepared load(const rmtsolve::Point& pt) {
    Prepared prepared;
    Prepared* prep = &prepared;
    const bool matrices = !pt.str("omega").empty() || !pt.str("phi").empty() || !pt.str("psi").empty();
    if (matrices == !pt.str("spectrum").empty())
      throw InvalidInput("spectrum", "give either --omega, --phi and --psi, or --spectrum");
    if (matrices) {
      for (const char* f : {"omega", "phi", "psi"})
        if (pt.str(f).empty()) throw InvalidInput(f, "missing file (all of --omega, --phi, --psi are needed)");
      Covariances c{read_matrix(pt.str("psi"), "psi"), read_matrix(pt.str("phi"), "phi"), read_matrix(pt.str("omega"), "omega")};
      prep->problem = Problem::from_covariances(c);
      prep->k = c.Psi.rows();
      Eigen::MatrixXd joint(c.Psi.rows() + c.Omega.rows(), c.Psi.rows() + c.Omega.rows());
      joint << c.Psi, c.Phi, c.Phi.transpose(), c.Omega;
      SymmetricEigen eig = symmetric_eigen(joint);
      if (eig.values.minCoeff() < -1e-8 * std::max(1.0, eig.values.maxCoeff()))
        throw InvalidInput("phi", "the joint covariance [[Psi, Phi], [Phi^T, Omega]] is not positive semi-definite");
      prep->joint_factor = eig.vectors * eig.values.cwiseMax(0.0).cwiseSqrt().asDiagonal();
    } else {
      const Eigen::MatrixXd s = read_matrix(pt.str("spectrum"), "spectrum");
      if (s.cols() != 2) throw InvalidInput("spectrum", "needs exactly two columns (omega_j, t_j)");
      prep->problem = Problem::from_spectrum({s.col(0), s.col(1), pt["rho"]});
    }
    return prepared;
  }
  LastValueCache<Prepared> cache_;
};

}  // namespace

std::unique_ptr<Model> make_model() { return std::make_unique<GcmModel>(); }

}  // namespace rmtsolve::gcm_ridge
