#include <map>
#include <cmath>

#include "empirical.hpp"
#include "kernels.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/io/table.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/seeds.hpp"

namespace rmtsolve::kernels {
namespace {

struct Spec {
  DualActivation phi;
  Parametrisation parametrisation;
  int depth;
  double rho, w_std, b_std, width;
};

Spec spec_of(const Point& pt) {
  const double rho = pt["rho"];
  if (!(rho >= -1.0 && rho <= 1.0)) throw InvalidInput("rho", "must be in [-1, 1], got " + format_exact(rho));
  return {make_dual(pt.str("activation"), "activation"), parse_parametrisation(pt.str("parametrisation")),
          static_cast<int>(pt["depth"]), rho, pt["w_std"], pt["b_std"], pt["width"]};
}

// The standard parametrisation's NTK grows with the width m; the model reports Θ/m, i.e. the NTK
// with every learning rate 1/m, in the limit m, d → ∞ at m/d = width: the first layer's fan-in
// counts d/m = 1/width, later ones 1, and the bias gradients (1/m each) vanish.
Architecture theory_architecture(const Spec& s) {
  Architecture arch = Architecture::fully_connected(s.phi, s.depth, s.w_std, s.b_std, s.parametrisation, 1.0);
  if (s.parametrisation == Parametrisation::kStandard) {
    arch.hidden.front().dense.fan_in = 1.0 / s.width;
    for (HiddenLayer& h : arch.hidden) h.dense.bias_lr = 0.0;
    arch.readout.bias_lr = 0.0;
  }
  return arch;
}

// The same network at finite width m: actual fan-ins, and in the standard parametrisation
// learning rates 1/m on the weights and none on the biases, so that its NTK estimates Θ/m above.
Architecture simulated_architecture(const Spec& s, int m) {
  Architecture arch = Architecture::fully_connected(s.phi, s.depth, s.w_std, s.b_std, s.parametrisation, m);
  if (s.parametrisation == Parametrisation::kStandard) {
    auto per_width = [m](Dense& l) {
      l.weight_lr = 1.0 / m;
      l.bias_lr = 0.0;
    };
    for (HiddenLayer& h : arch.hidden) per_width(h.dense);
    per_width(arch.readout);
  }
  return arch;
}

class KernelModel final : public Model {
 public:
  std::string name() const override { return "kernel"; }
  std::string description() const override {
    return "infinite-width NNGP and NTK of a deep fully-connected network vs the cosine rho of two inputs";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"rho", "rho = x.x'/d, cosine of two inputs with |x|^2 = d, in [-1, 1]", 0.0, Domain::kAny},
            {"depth", "L, number of hidden layers (at most 1000)", 1.0, Domain::kPositiveInteger, 1000},
            {"w_std", "W_std of every layer (readout included)", 1.0, Domain::kNonNegative},
            {"b_std", "b_std of every layer; 0 = no bias", 0.0, Domain::kNonNegative},
            {"width", "m/d, hidden width per input dimension (Monte Carlo; the standard parametrisation's fan-in ratio)",
             2.0, Domain::kPositive}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"activation", "phi (project activations, or abrelu:a,b, arccos:p, erf:a,b,c, rbf:g, ...; an analytic formula as expr:F;smooth)", "relu"},
            {"parametrisation", "ntk, or standard (then ntk columns are NTK/m, m -> inf at fixed m/d)", "ntk"}};
  }
  std::vector<std::string> outputs() const override {
    return {"nngp",        "ntk",         "nngp_deriv",      "ntk_deriv",  "nngp_diag",  "ntk_diag",
            "nngp_kappa0", "nngp_kappa1", "nngp_kappa_star", "ntk_kappa0", "ntk_kappa1", "ntk_kappa_star"};
  }
  std::map<std::string, std::string> output_help() const override {
    return {{"nngp", "NNGP kernel k(rho) between two unit inputs at correlation rho, infinite width"},
            {"ntk", "NTK Theta(rho) between two unit inputs at correlation rho, infinite width"},
            {"nngp_deriv", "dk/drho of the NNGP"},
            {"ntk_deriv", "dTheta/drho of the NTK"},
            {"nngp_diag", "k(1): the NNGP on the diagonal"},
            {"ntk_diag", "Theta(1): the NTK on the diagonal"},
            {"nngp_kappa0", "kappa0 = k(0): constant part of the NNGP's linearisation K ~ kappa0 11^T + kappa1 XX^T/d + kappa* I"},
            {"nngp_kappa1", "kappa1 = k'(0): linear part of the NNGP's linearisation"},
            {"nngp_kappa_star", "kappa* = k(1) - k(0) - k'(0): the part acting as a ridge"},
            {"ntk_kappa0", "kappa0 of the NTK's linearisation"},
            {"ntk_kappa1", "kappa1 of the NTK's linearisation"},
            {"ntk_kappa_star", "kappa* of the NTK's linearisation"}};
  }
  PointResult solve(const Point& pt, const SolverOptions&, std::vector<double>&) const override {
    const Spec s = spec_of(pt);
    const DotProductKernel k(theory_architecture(s));
    const DotProductValues at = k.at(s.rho), one = k.at(1.0);
    const ProportionalConstants g = k.nngp_constants(), t = k.ntk_constants();
    PointResult r{{at.nngp, at.ntk, at.nngp_deriv, at.ntk_deriv, one.nngp, one.ntk, g.kappa0, g.kappa1, g.kappa_star,
                   t.kappa0, t.kappa1, t.kappa_star},
                  {}};
    r.summary.method = s.phi.method();
    bool finite = true;
    for (double v : r.values) finite = finite && !std::isnan(v);  // +∞ slopes at kinks are values
    r.summary.converged = finite;
    r.summary.reason = finite ? Termination::kConverged : Termination::kNonFinite;
    if (!finite) r.summary.message = "a kernel value is NaN (e.g. a variance outside the activation's domain)";
    return r;
  }
  std::vector<std::string> simulated_outputs() const override { return {"nngp", "ntk"}; }
  std::vector<mc::Estimate> simulate(const Point& pt, const SimulationOptions& o) const override {
    const Spec s = spec_of(pt);
    if (o.d < 2) throw InvalidInput("d", "the kernel model needs d >= 2 (two inputs at an angle)");
    const int m = size_from_ratio(s.width, o.d, "width");
    const Architecture arch = simulated_architecture(s, m);
    s.phi.pointwise();  // InvalidInput before any thread starts if φ cannot be simulated
    // |x|² = |x'|² = d at cosine ρ; W is rotation invariant, so any such pair will do.
    Eigen::MatrixXd x1 = Eigen::MatrixXd::Zero(1, o.d), x2 = Eigen::MatrixXd::Zero(1, o.d);
    const double r = std::sqrt(static_cast<double>(o.d));
    x1(0, 0) = r;
    x2(0, 0) = r * s.rho;
    x2(0, 1) = r * std::sqrt(std::max(0.0, 1.0 - s.rho * s.rho));
    return mc::run_seeds(o.seeds, [&](std::mt19937_64& rng) {
      const EmpiricalKernels e = empirical_kernels(arch, m, x1, x2, rng);
      // A drawn network's kernel is defined for any finite weights: NaN here is an overflow met as
      // inf - inf or 0 * inf (e.g. --w_std 1e308), reported as such (non_finite, exit 3), not as
      // the "not defined" NaN that leaves a row valid.
      auto overflowed = [](double v) { return std::isnan(v) ? INFINITY : v; };
      return std::vector<double>{overflowed(e.nngp(0, 0)), overflowed(e.ntk(0, 0))};
    });
  }
  /// The empirical kernels of one network fluctuate by O(1/√m) (in the k·SE term) and their mean
  /// is biased by O(depth/m); measured below 1 % at m = 800, depth ≤ 3 (README.md).
  Allowance finite_size_allowance(const Point&) const override { return {0.02, 0.02}; }
  PlotHint plot_hint(const Point&) const override {
    return {{{{"nngp", "ntk"}, "kernel K(ρ)"}, {{"nngp_deriv", "ntk_deriv"}, "derivative dK/dρ"}}};
  }
};

}  // namespace

std::unique_ptr<Model> make_model() { return std::make_unique<KernelModel>(); }

}  // namespace rmtsolve::kernels
