#include <map>
#include <cmath>
#include <mutex>
#include <sstream>

#include "linear_dynamics.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/grid.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/run_cache.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/montecarlo/seeds.hpp"

namespace rmtsolve::linear_dynamics {
namespace {

const double kNaN = std::nan("");

// A closed form that overflowed (t_learn at tau = 1e308, rho at c = 1e308) is no result: it is
// flagged non-finite, like a solver whose map produced inf, instead of a converged row holding inf.
PointResult flag_overflow(PointResult r) {
  for (double& v : r.values)
    if (std::isinf(v) && r.summary.converged) {
      r.summary.converged = false;
      r.summary.reason = Termination::kNonFinite;
      r.summary.message = "a closed form overflowed to inf (an input too large)";
    }
  return r;
}

Summary closed_form_summary(const std::string& method) {
  Summary s;
  s.method = method;
  s.converged = true;
  s.reason = Termination::kConverged;
  return s;
}

// A quantity derived from finite flags (Θ_0, a_0, Σ, u_0, ...) that overflows names nothing the
// user gave: like an overflowed closed form, the row is non_finite (exit 3) and says why.
template <class F>
PointResult derived_overflow_is_non_finite(const Model& model, F&& solve) {
  try {
    return solve();
  } catch (const InvalidInput& e) {
    bool flag = false;
    for (const auto& p : model.numbers()) flag = flag || p.name == e.parameter();
    for (const auto& p : model.texts()) flag = flag || p.name == e.parameter();
    if (flag || std::string(e.what()).find("must be finite") == std::string::npos) throw;
    PointResult r;
    r.values.assign(model.outputs().size(), std::nan(""));
    r.summary.method = "closed form";
    r.summary.converged = false;
    r.summary.reason = Termination::kNonFinite;
    r.summary.message = std::string(e.what()) + " (derived from the inputs: an input too large)";
    return r;
  }
}

// "0,1"-style vectors for text parameters (no grid syntax: these are not swept).
Eigen::VectorXd parse_vector(const std::string& text, const std::string& name) {
  if (text.find(':') != std::string::npos)
    throw InvalidInput(name, "expected a comma list of numbers such as 0,1, got '" + text + "'");
  std::vector<double> v = parse_grid(text, name);
  return Eigen::Map<Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

int width_of(double w) {
  if (w > 1e7) throw InvalidInput("width", "at most 10^7 neurons are drawn (about 0.3 GB)");
  return static_cast<int>(w);
}

class DynamicsModel final : public Model {
 public:
  std::string name() const override { return "linear-dynamics"; }
  std::string description() const override {
    return "exact gradient flow of a width-d linear network on 1-d data (Xu-Ziyin model as in docs/theory/dynamics.md 1.1)";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"t", "t, gradient-flow time", 1.0, Domain::kNonNegative},
            {"width", "d, hidden width", 100.0, Domain::kPositiveInteger},
            {"kappa", "kappa, output multiplier", 1.0, Domain::kPositive},
            {"eta_u", "eta_u, learning rate of the readout u", 1.0, Domain::kNonNegative},
            {"eta_w", "eta_w, learning rate of the input weights w", 1.0, Domain::kNonNegative},
            {"sigma_u", "sigma_u, init std of u_i", 1.0, Domain::kNonNegative},
            {"sigma_w", "sigma_w, init std of w_i", 1.0, Domain::kNonNegative},
            {"c", "c = E[z y], the target slope", 1.0, Domain::kAny},
            {"dt", "Monte Carlo only: gradient-descent step h in flow time (rates h eta_u, h eta_w; t/h steps)", 1e-2,
             Domain::kPositive},
            {"n", "Monte Carlo only: training samples z ~ N(0,1), y = c z + sqrt(noise) eps, per seed", 1000.0,
             Domain::kPositiveInteger},
            {"noise", "Monte Carlo only: label-noise variance of the samples", 0.0, Domain::kNonNegative}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"init", "gaussian:SEED, u_i ~ N(0,sigma_u^2) then w_i ~ N(0,sigma_w^2) from seed stream (SEED, 0)",
             "gaussian:0"}};
  }
  std::vector<std::string> outputs() const override {
    return {"F", "Theta", "loss", "tau", "F0", "Theta0", "Delta", "theta_inf", "rho", "theta_ratio", "t_learn", "t_plateau"};
  }
  std::map<std::string, std::string> output_help() const override {
    return {{"F", "F(t): the network's output on the input"},
            {"Theta", "Theta(t): the scalar NTK"},
            {"loss", "L = (F - c)^2/2"},
            {"tau", "warped time tau = int kappa (c - F) dt"},
            {"F0", "F_0: the drawn network's initial output"},
            {"Theta0", "Theta_0: the initial NTK"},
            {"Delta", "Delta: the conserved imbalance of the neurons"},
            {"theta_inf", "Theta_inf: the final NTK, also the late-time rate (F - c ~ e^(-Theta_inf t))"},
            {"rho", "rho = omega kappa |c|/Theta_0: the richness of the dynamics (lazy << 1 << rich)"},
            {"theta_ratio", "Theta_inf/Theta_0: how much the NTK moves"},
            {"t_learn", "first time at which half of the initial residual |F_0 - c| is learned"},
            {"t_plateau", "asymptotic plateau time (1/A) ln(A/max(Delta, omega kappa |F_0|)); empty unless rho >> 1"}};
  }
  PointResult solve(const Point& pt, const SolverOptions& o, std::vector<double>& w) const override {
    return derived_overflow_is_non_finite(*this, [&] { return solve_checked(pt, o, w); });
  }
  PointResult solve_checked(const Point& pt, const SolverOptions&, std::vector<double>&) const {
    const Init init = parse_init(pt.str("init"), width_of(pt["width"]), pt["sigma_u"], pt["sigma_w"]);
    // Only the collective (F_0, Θ_0, Δ) is needed for the outputs: no per-neuron trajectory.
    const Collective k = collective_of(ScalarWidthModel{init.u0, init.w0, pt["kappa"], pt["eta_u"], pt["eta_w"], pt["c"]});
    const OutputState o = output_at(k, pt["t"]);
    const Phase p = phase_of(k);
    Summary summary = closed_form_summary(closed_form_method(k));
    if (!std::isfinite(o.F) || !std::isfinite(o.Theta) || !std::isfinite(o.tau)) {
      summary.converged = false;
      summary.reason = Termination::kNonFinite;
      summary.message = "the closed form overflowed";
    }
    return {{o.F, o.Theta, o.loss, o.tau, k.F0, k.Theta0, k.Delta, p.theta_inf, p.rho, p.theta_ratio, p.t_learn, p.t_plateau},
            summary};
  }

  /// The same network (same drawn u0, w0) trained by full-batch gradient descent on n samples per
  /// seed with the MLP trainer: seeds redraw the data, whose empirical moments E_n z², E_n zy
  /// fluctuate around (1, c) by O(n^{-1/2}); the step h adds an O(h) discretisation error.
  /// The loss is not compared: ½(F − c)² averaged over seeds carries the O(1/n) variance of F (the
  /// estimator's own error at convergence), which the population flow does not have.
  std::vector<std::string> simulated_outputs() const override { return {"F", "Theta"}; }
  std::vector<mc::Estimate> simulate(const Point& pt, const SimulationOptions& o) const override {
    const Init init = parse_init(pt.str("init"), width_of(pt["width"]), pt["sigma_u"], pt["sigma_w"]);
    const double kappa = pt["kappa"], eta_u = pt["eta_u"], eta_w = pt["eta_w"], c = pt["c"], h = pt["dt"];
    const long steps = std::llround(pt["t"] / h);
    if (pt["t"] / h > 1e9) throw InvalidInput("dt", "t/dt exceeds 10^9 gradient steps");
    const int n = static_cast<int>(pt["n"]);
    const double noise = pt["noise"];
    // Checked here, naming the flag, rather than by the trainer as "weights"/"inputs" in a seed.
    if (!init.w0.allFinite()) throw InvalidInput("sigma_w", "too large: the drawn input weights overflow");
    if (!init.u0.allFinite()) throw InvalidInput("sigma_u", "too large: the drawn readout weights overflow");
    if (!std::isfinite(40.0 * c)) throw InvalidInput("c", "too large: the targets c z overflow");
    std::lock_guard<std::mutex> lock(mutex_);
    auto& runs = cache_.runs(simulation_key(*this, pt, o, "t"), std::max(1, o.seeds.seeds));
    std::vector<std::vector<double>> per_seed(runs.size());
    mc::for_each_seed(o.seeds, [&](std::mt19937_64& rng, int i) {
      auto& run = runs[static_cast<size_t>(i)];
      if (!run || run->trainer->step() > steps) {
        const Eigen::MatrixXd z = mc::gaussian_matrix(n, 1, rng);
        Eigen::VectorXd y = c * z.col(0);
        if (noise > 0.0) y += std::sqrt(noise) * mc::gaussian_matrix(n, 1, rng).col(0);
        mc::Mlp net{make_activation("linear"), kappa, {init.w0}, init.u0};
        mc::TrainingOptions options;
        options.learning_rates = {h * eta_w, h * eta_u};  // layer W_1 = (w_i), then the readout u
        run = std::make_unique<LinearRun>(LinearRun{std::make_unique<mc::MlpTrainer>(net, z, y, options)});
      }
      mc::advance_with_interrupts(*run->trainer, steps);
      const mc::Mlp& net = run->trainer->net();
      const double F = kappa * net.a.dot(net.W.front().col(0));
      const double Theta = kappa * kappa * (eta_w * net.a.squaredNorm() + eta_u * net.W.front().squaredNorm());
      per_seed[static_cast<size_t>(i)] = {F, Theta};
    });
    cache_.trim();
    return mc::summarize(per_seed);
  }
  /// Gradient descent at step h deviates from the flow by O(h) (measured in README.md).
  Allowance finite_size_allowance(const Point&) const override { return {0.01, 0.01}; }
  PlotHint plot_hint(const Point&) const override {
    return {{{{"F"}, "network slope F(t)"}, {{"Theta"}, "NTK Θ(t)", true}, {{"loss"}, "loss ½(F − c)²", true}}};
  }

 private:
  struct LinearRun {
    std::unique_ptr<mc::MlpTrainer> trainer;
    double bytes() const { return trainer->bytes(); }
  };
  mutable std::mutex mutex_;
  mutable mc::RunCache<LinearRun> cache_{1e9};
};

class PhaseModel final : public Model {
 public:
  std::string name() const override { return "linear-phase"; }
  std::string description() const override {
    return "phase indicators (1.5) of the width-d linear network over hyperparameters and their d^a scalings";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"width", "d, hidden width (every hyperparameter X is used as X * d^a_X)", 1000.0, Domain::kPositive},
            {"kappa", "kappa prefactor, output multiplier", 1.0, Domain::kPositive},
            {"eta_u", "eta_u prefactor, readout learning rate", 1.0, Domain::kNonNegative},
            {"eta_w", "eta_w prefactor, input-weight learning rate", 1.0, Domain::kNonNegative},
            {"sigma_u", "sigma_u prefactor, readout init std", 1.0, Domain::kNonNegative},
            {"sigma_w", "sigma_w prefactor, input-weight init std", 1.0, Domain::kNonNegative},
            {"c", "c = E[z y], the target slope", 1.0, Domain::kAny},
            {"a_kappa", "exponent: kappa = kappa * d^a_kappa (NTK -0.5, mean-field -1)", 0.0, Domain::kAny},
            {"a_eta_u", "exponent of eta_u in d (mean-field 1)", 0.0, Domain::kAny},
            {"a_eta_w", "exponent of eta_w in d (mean-field 1)", 0.0, Domain::kAny},
            {"a_sigma_u", "exponent of sigma_u in d", 0.0, Domain::kAny},
            {"a_sigma_w", "exponent of sigma_w in d", 0.0, Domain::kAny},
            {"rho_lazy", "regime 0 (kernel) when rho <= rho_lazy", 0.1, Domain::kPositive},
            {"rho_rich", "regime 2 (rich) when rho >= rho_rich", 10.0, Domain::kPositive}};
  }
  std::vector<TextParameter> texts() const override { return {}; }
  /// The phase diagram: ρ coloured over the two swept exponents, the regime thresholds as contours.
  PlotHint plot_hint(const Point& pt) const override {
    std::ostringstream boundaries;
    boundaries << "regime boundaries ρ = " << pt["rho_lazy"] << " (lazy | feature), " << pt["rho_rich"] << " (feature | rich)";
    PlotHint h{{{{"rho"}, "ρ", true, {pt["rho_lazy"], pt["rho_rich"]}, boundaries.str()}}};
    h.heatmap = true;
    return h;
  }
  std::vector<std::string> outputs() const override {
    return {"rho", "theta_ratio", "t_learn", "regime", "rho_exponent", "regime_limit", "Theta0", "F0_sd"};
  }
  std::map<std::string, std::string> output_help() const override {
    return {{"rho", "rho of the typical network at this width (lazy << 1 << rich)"},
            {"theta_ratio", "Theta_inf/Theta_0 = sqrt(1 + rho^2) of the typical network"},
            {"t_learn", "exact t_learn of the typical network (F_0 = 0, Delta = Theta_0)"},
            {"regime", "0 kernel/lazy (rho <= rho_lazy), 1 feature learning, 2 rich (rho >= rho_rich)"},
            {"rho_exponent", "r in rho ~ d^r from the a_X exponents"},
            {"regime_limit", "regime as d -> infinity from the sign of r: 0 (r < 0), 1 (r = 0), 2 (r > 0)"},
            {"Theta0", "Theta_0 = kappa^2 d (eta_w sigma_u^2 + eta_u sigma_w^2) of the typical network"},
            {"F0_sd", "standard deviation of F_0 over initialisations, kappa sqrt(d) sigma_u sigma_w"}};
  }
  PointResult solve(const Point& pt, const SolverOptions& o, std::vector<double>& w) const override {
    return derived_overflow_is_non_finite(*this, [&] { return solve_checked(pt, o, w); });
  }
  PointResult solve_checked(const Point& pt, const SolverOptions&, std::vector<double>&) const {
    if (!(pt["rho_lazy"] < pt["rho_rich"])) throw InvalidInput("rho_lazy", "must be below rho_rich");
    const double d = pt["width"];
    auto scaled = [&](const char* x) { return pt[x] * std::pow(d, pt[std::string("a_") + x]); };
    for (const char* x : {"kappa", "eta_u", "eta_w", "sigma_u", "sigma_w"})
      if (std::isfinite(pt[x]) && !std::isfinite(scaled(x)))
        throw InvalidInput(std::string("a_") + x, std::string("too large: ") + x + " * width^a_" + x + " overflows");
    if (pt["kappa"] > 0.0 && !(scaled("kappa") > 0.0))
      throw InvalidInput("a_kappa", "too small: kappa * width^a_kappa underflows to 0");
    const GaussianScaling prefactors{d, pt["kappa"], pt["eta_u"], pt["eta_w"], pt["sigma_u"], pt["sigma_w"], pt["c"]};
    const GaussianScaling s{d, scaled("kappa"), scaled("eta_u"), scaled("eta_w"), scaled("sigma_u"), scaled("sigma_w"), pt["c"]};
    const TypicalPhase p = typical_phase(s);
    const double r = rho_exponent({pt["a_kappa"], pt["a_eta_u"], pt["a_eta_w"], pt["a_sigma_u"], pt["a_sigma_w"]}, prefactors);
    return flag_overflow({{p.rho, p.theta_ratio, p.t_learn, static_cast<double>(regime_code(p.rho, pt["rho_lazy"], pt["rho_rich"])),
                           r, static_cast<double>(limit_regime_code(r)), p.Theta0, p.F0_sd},
                          closed_form_summary("closed form (1.5)")});
  }
};

class SingleNeuronModel final : public Model {
 public:
  std::string name() const override { return "single-neuron"; }
  std::string description() const override {
    return "Kunin et al.'s single neuron f = a w.x under gradient flow, Sigma = sigma^2 I (docs/theory/dynamics.md 1.2)";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"t", "t, gradient-flow time", 1.0, Domain::kNonNegative},
            {"delta", "delta = eta_w a^2 - eta_a |w|^2, the conserved quantity", 0.0, Domain::kAny},
            {"sigma", "sigma, input scale: Sigma = sigma^2 I", 1.0, Domain::kPositive},
            {"eta_a", "eta_a, learning rate of a", 1.0, Domain::kPositive},
            {"eta_w", "eta_w, learning rate of w", 1.0, Domain::kPositive}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"b", "b = E[x y], comma list (its length is the input dimension)", "0,1"},
            {"beta0", "beta_0 = a_0 w_0 (a_0 > 0 is fixed by delta), comma list", "-1,0"}};
  }
  std::vector<std::string> outputs() const override {
    return {"beta_norm", "beta_par", "beta_perp", "a", "w_norm", "mu", "phi", "kernel_distance", "loss"};
  }
  std::map<std::string, std::string> output_help() const override {
    return {{"beta_norm", "|beta| with beta = a w, the network's linear map"},
            {"beta_par", "beta . beta*-hat, beta* = Sigma^+ b the minimum-norm interpolant"},
            {"beta_perp", "|beta - beta_par beta*-hat|"},
            {"a", "a(t): the output weight"},
            {"w_norm", "|w(t)|: the norm of the input weights"},
            {"mu", "mu = a |w|, signed"},
            {"phi", "phi = w-hat . beta*-hat: alignment of the input weights with the interpolant"},
            {"kernel_distance", "S(0, t) = 1 - <M_0, M_t>_F/(|M_0|_F |M_t|_F) of the NTK M"},
            {"loss", "excess loss (beta - beta*)^T Sigma (beta - beta*)/2"}};
  }
  PlotHint plot_hint(const Point&) const override {
    return {{{{"beta_par", "beta_perp", "beta_norm"}, "β = a w: along β*, across, |β|"},
             {{"kernel_distance"}, "kernel distance from init"},
             {{"loss"}, "loss", true}}};
  }
  PointResult solve(const Point& pt, const SolverOptions& o, std::vector<double>& w) const override {
    return derived_overflow_is_non_finite(*this, [&] { return solve_checked(pt, o, w); });
  }
  PointResult solve_checked(const Point& pt, const SolverOptions&, std::vector<double>&) const {
    const Eigen::VectorXd b = parse_vector(pt.str("b"), "b"), beta0 = parse_vector(pt.str("beta0"), "beta0");
    const double s2 = pt["sigma"] * pt["sigma"];
    const auto D = b.size();
    const SingleNeuron n = neuron_from_delta(pt["delta"], beta0, s2 * Eigen::MatrixXd::Identity(D, D), b, pt["eta_a"], pt["eta_w"]);
    const NeuronTrajectory tr = single_neuron_trajectory(n, {pt["t"]});
    if (tr.states.empty()) return {std::vector<double>(outputs().size(), kNaN), tr.summary};
    const NeuronState& st = tr.states[0];
    const double star = tr.beta_star.norm();
    const double par = star > 0.0 ? st.beta.dot(tr.beta_star) / star : kNaN;
    const double perp = star > 0.0 ? (st.beta - par * tr.beta_star / star).norm() : kNaN;
    return {{st.beta.norm(), par, perp, st.a, st.w.norm(), st.mu, st.phi, st.kernel_distance, st.loss}, tr.summary};
  }
};

class SaxeModel final : public Model {
 public:
  std::string name() const override { return "saxe"; }
  std::string description() const override {
    return "one mode of a deep linear network from balanced decoupled init (Saxe et al. 2014, docs/theory/dynamics.md 1.3)";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"t", "t, gradient-flow time", 1.0, Domain::kNonNegative},
            {"s", "s, singular value of E[y x^T] for this mode", 1.0, Domain::kPositive},
            {"u0", "u_0, initial mode strength", 1e-3, Domain::kPositive},
            {"depth", "N_l, layers of units (3 = one hidden layer; at most 1000)", 3.0, Domain::kPositiveInteger, 1000},
            {"tau", "tau, time constant", 1.0, Domain::kPositive}};
  }
  std::vector<TextParameter> texts() const override { return {}; }
  std::vector<std::string> outputs() const override { return {"u", "t_learn"}; }
  std::map<std::string, std::string> output_help() const override {
    return {{"u", "u(t): strength of the mode"},
            {"t_learn", "time at which u reaches s/2"}};
  }
  PlotHint plot_hint(const Point&) const override {
    return {{{{"u"}, "mode strength u(t)"}, {{"t_learn"}, "learning time t_learn (u = s/2)"}}};
  }
  PointResult solve(const Point& pt, const SolverOptions&, std::vector<double>&) const override {
    if (pt["depth"] > 1000) throw InvalidInput("depth", "at most 1000");
    const SaxeMode mode{pt["s"], pt["u0"], pt["tau"], static_cast<int>(pt["depth"])};
    const SaxeTrajectory tr = saxe_trajectory(mode, {pt["t"]});
    if (!tr.summary.converged) return {{kNaN, kNaN}, tr.summary};
    // t_learn: first time u ≥ s/2 (0 if it starts there).
    const SaxeTime learn = mode.u0 >= 0.5 * mode.s ? SaxeTime{0.0, tr.summary} : saxe_learning_time(mode, 0.5 * mode.s);
    Summary summary = tr.summary;
    if (!learn.summary.converged) summary = learn.summary;
    else if (learn.summary.method != tr.summary.method && mode.u0 < 0.5 * mode.s)
      summary.method = tr.summary.method + "; t_learn " + learn.summary.method;
    return flag_overflow({{tr.u[0], learn.t}, summary});
  }
};

}  // namespace

std::unique_ptr<Model> make_dynamics_model() { return std::make_unique<DynamicsModel>(); }
std::unique_ptr<Model> make_phase_model() { return std::make_unique<PhaseModel>(); }
std::unique_ptr<Model> make_single_neuron_model() { return std::make_unique<SingleNeuronModel>(); }
std::unique_ptr<Model> make_saxe_model() { return std::make_unique<SaxeModel>(); }

}  // namespace rmtsolve::linear_dynamics
