#include <mutex>

#include "equations/deep_rf/deep_rf.hpp"
#include "equations/gcm_ridge/gcm_ridge.hpp"
#include "gcm.hpp"
#include "rmtsolve/core/cache.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/matrix_checks.hpp"
#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/deep_features.hpp"
#include "rmtsolve/montecarlo/estimators.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/numerics/spectral.hpp"

namespace rmtsolve::gcm {
namespace {

// Files: L with LLᵀ = [[Ψ, Φ], [Φᵀ, Ω]] for sampling.  Only `simulate` needs it, and its
// eigen-decomposition of the (k+p)×(k+p) matrix costs several times the rest of a theory curve, so
// it is built on first use.
struct JointFactor {
  gcm_ridge::Covariances covariances;
  std::once_flag once;
  Eigen::MatrixXd factor;
  const Eigen::MatrixXd& get() {
    std::call_once(once, [this] {
      const Eigen::MatrixXd& Psi = covariances.Psi;
      const Eigen::MatrixXd& Phi = covariances.Phi;
      const Eigen::MatrixXd& Omega = covariances.Omega;
      Eigen::MatrixXd joint(Psi.rows() + Omega.rows(), Psi.rows() + Omega.rows());
      joint << Psi, Phi, Phi.transpose(), Omega;
      const SymmetricEigen eig = symmetric_eigen(joint);  // PSD already checked: round-off negatives to 0
      factor = eig.vectors * eig.values.cwiseMax(0.0).cwiseSqrt().asDiagonal();
    });
    return factor;
  }
};

// Where the covariances come from, loaded or computed once per distinct choice.
struct Prepared {
  gcm_ridge::Problem problem;          // θ-averaged spectrum (Ω/p, t/p, ρ)
  std::shared_ptr<JointFactor> joint;  // files only
  Eigen::Index k = 0;
  deep_rf::Spec deep;                  // features deep:…: the network, for sampling real features
  bool from_deep = false;
};

// "deep:WIDTHS:ACTIVATIONS:D:SEED", e.g. "deep:2:erf:600:1" (random features) or "deep:2,1:tanh:400:3".
deep_rf::Spec parse_deep_features(const std::string& text) {
  std::vector<std::string> f;
  size_t start = 0;
  for (size_t colon; (colon = text.find(':', start)) != std::string::npos; start = colon + 1) f.push_back(text.substr(start, colon - start));
  f.push_back(text.substr(start));
  int d = 0;
  std::uint64_t seed = 0;
  if (f.size() != 5 || f[0] != "deep" || !parse_size_and_seed("drawn:" + f[3] + ":" + f[4], "drawn", d, seed))
    throw InvalidInput("features", "must be files or deep:WIDTHS:ACTIVATIONS:D:SEED (e.g. deep:2:erf:600:1), got '" + text + "'");
  deep_rf::Spec spec;
  spec.layers = deep_rf::parse_layers(f[1], f[2], "gaussian");
  spec.method = deep_rf::Method::kDrawn;
  spec.d = d;
  spec.seed = seed;
  return spec;
}

Prepared load(const rmtsolve::Point& pt) {
  Prepared prep;
  if (pt.str("features") != "files") {
    // Reuse the deep-features equation system: its drawn network is exactly (Ω_f, ψ̃², ρ = 1)
    // for a teacher field s = ⟨θ, x⟩/√d.
    prep.deep = parse_deep_features(pt.str("features"));
    prep.from_deep = true;
    const deep_rf::DrawnNetwork net = deep_rf::draw_network(prep.deep);
    const double p = static_cast<double>(net.omega.size());
    prep.problem = gcm_ridge::Problem::from_spectrum({net.omega * p, net.psi2 * p, net.signal});
    return prep;
  }
  const bool matrices = !pt.str("omega").empty() || !pt.str("phi").empty() || !pt.str("psi").empty();
  if (matrices == !pt.str("spectrum").empty())
    throw InvalidInput("spectrum", "give either --omega, --phi and --psi, or --spectrum, or --features deep:...");
  if (!matrices) {
    const Eigen::MatrixXd s = read_matrix(pt.str("spectrum"), "spectrum");
    if (s.cols() != 2) throw InvalidInput("spectrum", "needs exactly two columns (omega_j, t_j)");
    prep.problem = gcm_ridge::Problem::from_spectrum({s.col(0), s.col(1), pt["rho"]});
    return prep;
  }
  for (const char* f : {"omega", "phi", "psi"})
    if (pt.str(f).empty()) throw InvalidInput(f, "missing file (all of --omega, --phi, --psi are needed)");
  gcm_ridge::Covariances c{read_matrix(pt.str("psi"), "psi"), read_matrix(pt.str("phi"), "phi"),
                                 read_matrix(pt.str("omega"), "omega")};
  prep.problem = gcm_ridge::Problem::from_covariances(c, /*require_joint_psd=*/true);
  prep.k = c.Psi.rows();
  prep.joint = std::make_shared<JointFactor>();
  prep.joint->covariances = std::move(c);
  return prep;
}

// Labels of the teacher field s: linear s + √Δ ε, sign(s), probit sign(s + √Δ ε).
Eigen::VectorXd teacher_labels(Teacher teacher, const Eigen::VectorXd& s, double noise, std::mt19937_64& rng) {
  Eigen::VectorXd y = s;
  if (noise > 0.0 && teacher != Teacher::kSign) y += std::sqrt(noise) * mc::gaussian_matrix(s.size(), 1, rng);
  if (teacher != Teacher::kLinear) y = y.unaryExpr([](double v) { return v > 0.0 ? 1.0 : -1.0; });
  return y;
}

class GcmModel final : public Model {
 public:
  std::string name() const override { return "gcm"; }
  std::string description() const override {
    return "Gaussian covariate model: square, logistic or hinge loss, teacher averaged";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"alpha", "alpha = n/p, training samples per student feature", 1.0, Domain::kPositive},
            {"lambda", "lambda, l2 penalty: sum loss + lambda/2 |w|^2 (ridge: sum (y-yhat)^2 + lambda |w|^2)", 1e-2,
             Domain::kNonNegative},
            {"noise", "Delta, label-noise variance (linear: added; probit: inside the sign)", 0.0, Domain::kNonNegative},
            {"rho", "rho = tr(Psi)/k, teacher signal (with --spectrum only)", 1.0, Domain::kNonNegative}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"loss", "square, logistic or hinge", "square"},
            {"teacher", "linear (regression), sign or probit (classification)", "linear"},
            {"features", "files (--omega/--phi/--psi or --spectrum) or deep:WIDTHS:ACTS:D:SEED from the deep model", "files"},
            {"omega", "student covariance Omega (p x p), .npy or CSV", ""},
            {"phi", "teacher-student covariance Phi = E[u v^T] (k x p), .npy or CSV", ""},
            {"psi", "teacher covariance Psi (k x k), .npy or CSV", ""},
            {"spectrum", "instead of matrices: two columns (omega_j, t_j = |Phi u_j|^2/k)", ""},
            {"method", "square loss, linear teacher: root (scalar root in log kappa) or iteration", "root"}};
  }
  std::vector<std::string> outputs() const override {
    // teacher_rho: tr(Ψ)/k actually used (from the files or the drawn network; the rho column is
    // the --rho flag, which applies to --spectrum only).
    return {"test_error", "train_error", "classification_error", "train_loss", "V", "q", "m", "Vhat", "qhat", "mhat",
            "teacher_rho"};
  }
  std::map<std::string, std::string> output_help() const override {
    return {{"test_error", "E_test = E(y - yhat)^2 on fresh data (labels +-1 for sign/probit teachers), noise included"},
            {"train_error", "E_train = E(y - z)^2 on the training set, z the proximal (fitted) field"},
            {"train_loss", "E l(y, z) per training sample at the fixed point, penalty excluded"},
            {"V", "V: variance overlap of the student field"},
            {"q", "q: squared norm overlap of the student field"},
            {"m", "m: teacher-student overlap"},
            {"Vhat", "V-hat: conjugate of V"},
            {"qhat", "q-hat: conjugate of q"},
            {"mhat", "m-hat: conjugate of m"},
            {"teacher_rho", "rho = tr(Psi)/k actually used: the teacher's signal variance (the rho column is the --rho flag)"}};
  }
  PointResult solve(const rmtsolve::Point& pt, const SolverOptions& options, std::vector<double>& warm) const override {
    const Loss loss = parse_loss(pt.str("loss"));
    const Teacher teacher = parse_teacher(pt.str("teacher"));
    const auto prep = cache_.get(cache_key(pt), [&] { return load(pt); });
    Eigen::VectorXd state = Eigen::Map<const Eigen::VectorXd>(warm.data(), static_cast<Eigen::Index>(warm.size()));
    const std::string& method = pt.str("method");
    if (method != "root" && method != "iteration") throw InvalidInput("method", "must be root or iteration");
    PointResult out;
    if (loss == Loss::kSquare && teacher == Teacher::kLinear) {  // ridge: the dedicated equation system
      const auto r = gcm_ridge::solve(prep->problem, {pt["alpha"], pt["lambda"], pt["noise"]},
                                      method == "root" ? gcm_ridge::Method::kRoot : gcm_ridge::Method::kIteration, options, &state);
      const double n = pt["alpha"] * static_cast<double>(prep->problem.p()), nan = std::nan("");
      const double Vhat = n / (1.0 + r.V);
      out = {{r.test_error, r.train_error, nan, 0.5 * r.train_error, r.V, r.q, r.m, Vhat,
              n * r.test_error / ((1.0 + r.V) * (1.0 + r.V)), Vhat, prep->problem.spectrum().sigma_y2},
             r.summary};
    } else {
      const Result r = gcm::solve(prep->problem.spectrum(), loss, teacher, {pt["alpha"], pt["lambda"], pt["noise"]}, options, &state);
      out = {{r.test_mse, r.train_mse, r.classification_error, r.train_loss, r.V, r.q, r.m, r.Vhat, r.qhat, r.mhat,
              prep->problem.spectrum().sigma_y2},
             r.summary};
    }
    warm.assign(state.data(), state.data() + state.size());
    return out;
  }
  /// Points share only the prepared covariances (a locked cache) and the shared quadrature rule.
  bool concurrent_points() const override { return true; }
  std::vector<std::string> simulated_outputs() const override {
    return {"test_error", "train_error", "classification_error", "train_loss"};
  }
  std::vector<mc::Estimate> simulate(const rmtsolve::Point& pt, const SimulationOptions& o) const override {
    const Loss loss = parse_loss(pt.str("loss"));
    const Teacher teacher = parse_teacher(pt.str("teacher"));
    const auto prep = cache_.get(cache_key(pt), [&] { return load(pt); });
    const mc::Estimator estimator{loss, pt["lambda"]};
    const double noise = pt["noise"];
    const int n_test = o.n_test > 0 ? o.n_test : 4000;
    auto as_vector = [](const mc::ReadoutErrors& e) { return std::vector<double>{e.test, e.train, e.classification, e.train_loss}; };
    if (prep->from_deep) {  // real deep features at the simulation's d (weights redrawn per seed)
      const deep_rf::Spec& spec = prep->deep;
      mc::DeepSample sample;
      sample.d = o.d;
      for (const auto& l : spec.layers)
        sample.layers.push_back({l.activation, l.weights, size_from_ratio(l.width, o.d, "features")});
      sample.link = make_activation(teacher == Teacher::kLinear ? "linear" : "sign", "teacher");
      sample.noise = teacher == Teacher::kSign ? 0.0 : noise;
      sample.noise_inside = teacher == Teacher::kProbit;
      sample.n = size_from_ratio(pt["alpha"], sample.layers.back().width, "alpha");
      sample.n_test = n_test;
      sample.estimator = estimator;
      return mc::run_seeds(o.seeds, [&](std::mt19937_64& rng) { return as_vector(mc::simulate_deep_features(sample, rng)); });
    }
    if (!prep->joint)
      throw InvalidInput("spectrum", "Monte Carlo needs the covariance matrices (--omega, --phi, --psi) or --features deep:...");
    const Eigen::MatrixXd& joint_factor = prep->joint->get();
    const Eigen::Index p = prep->problem.p(), k = prep->k;
    const int n = size_from_ratio(pt["alpha"], static_cast<int>(p), "alpha");
    return mc::run_seeds(o.seeds, [&](std::mt19937_64& rng) {
      const Eigen::VectorXd theta = mc::gaussian_matrix(k, 1, rng);
      // The Gaussian model itself: (u, v) jointly Gaussian, features v/√p, field s = θᵀu/√k.
      Eigen::MatrixXd uv;
      auto features = [&](const Eigen::MatrixXd& G) {
        uv = G * joint_factor.transpose();
        return Eigen::MatrixXd(uv.rightCols(p) / std::sqrt(static_cast<double>(p)));
      };
      auto draw = [&](int rows, Eigen::MatrixXd& F, Eigen::VectorXd& y) {
        F = features(mc::gaussian_matrix(rows, k + p, rng));
        y = teacher_labels(teacher, uv.leftCols(k) * theta / std::sqrt(static_cast<double>(k)), noise, rng);
      };
      Eigen::MatrixXd F, Ft;
      Eigen::VectorXd y, yt;
      draw(n, F, y);
      const Eigen::VectorXd w = mc::fit_readout(loss, F, y, estimator.lambda);
      draw(n_test, Ft, yt);
      const Eigen::VectorXd fitted = F * w, predicted = Ft * w;
      mc::ReadoutErrors e;
      e.test = (yt - predicted).squaredNorm() / n_test;
      e.train = (y - fitted).squaredNorm() / n;
      for (Eigen::Index i = 0; i < n; ++i) e.train_loss += loss_value(loss, y[i], fitted[i]) / n;
      for (Eigen::Index i = 0; i < n_test; ++i) e.classification += ((predicted[i] > 0.0) != (yt[i] > 0.0)) / double(n_test);
      return as_vector(e);
    });
  }
  /// The Gaussian model is simulated exactly (2 %); real random features rely on Gaussian
  /// equivalence beyond ridge, conjectured for convex losses (dRF, GCM papers): 5 %.
  Allowance finite_size_allowance(const rmtsolve::Point& pt) const override {
    if (pt.str("features") == "files") return {0.02, 0.02};
    return {0.05, 0.05};
  }
  /// Classification is judged by its error rate; the squared error of the logit against ±1 labels is
  /// what the losses' equations carry but not what a classification curve shows.
  PlotHint plot_hint(const rmtsolve::Point& pt) const override {
    if (pt.str("loss") == "square" && pt.str("teacher") == "linear")
      return {{{{"test_error", "train_error"}, "error (mean squared)"}}};
    return {{{{"classification_error"}, "test classification error P(sign ŷ ≠ y)"}}};
  }

 private:
  static std::string cache_key(const rmtsolve::Point& pt) {
    std::string key;
    for (const char* name : {"features", "omega", "phi", "psi", "spectrum"}) key += pt.str(name) + "\n";
    return key + std::to_string(pt["rho"]);
  }
  LastValueCache<Prepared> cache_;
};

}  // namespace

std::unique_ptr<Model> make_model() { return std::make_unique<GcmModel>(); }

}  // namespace rmtsolve::gcm
