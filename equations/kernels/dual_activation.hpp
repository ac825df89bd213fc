#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "rmtsolve/numerics/activation.hpp"

namespace rmtsolve::kernels {

/// Hermite coefficients of φ and φ' at many variances at once (see MehlerSeries).
struct MehlerCoefficients {
  Eigen::MatrixXd phi, dphi;          // (K+1) × n: column i holds c_k(q_i), k = 0..K
  Eigen::ArrayXd second, dsecond;     // E φ(√q_i Z)², E φ'(√q_i Z)²: the diagonal V and V̇
  std::vector<char> converged;        // both tails within the tolerance at order K
};

/// Mehler's expansion of the dual of a smooth φ, for the n1 × n2 pairs of a kernel matrix: with
/// c_k(q) = E[φ(√q Z) He_k(Z)]/√k!,  V(q1, q2, Σ) = Σ_k c_k(q1) c_k(q2) ρ^k,  ρ = Σ/√(q1q2)
/// (and V̇ likewise with φ').  The coefficients cost O(n·K) per layer instead of O(n1·n2) 2-D rules,
/// and the truncation error has a computable bound: |Σ_{k>K} c_k(q1)c_k(q2)ρ^k| ≤ √(T(q1)T(q2)),
/// T(q) = E φ(√qZ)² − Σ_{k≤K} c_k(q)² (Cauchy–Schwarz and Parseval; README.md).
class MehlerSeries {
 public:
  /// `tolerance`: K is raised (doubling from 32, up to `max_order`) until T(q) ≤ tolerance·max(E φ², 1)
  /// for φ and φ' at every q; a q that never gets there is marked not converged.  For tanh the
  /// default reaches K = 128 at q = 1 and 512 at q ≈ 8 (README.md); max_order ≤ 512 keeps the
  /// Hermite functions clear of underflow on the grid.
  MehlerSeries(Activation phi, double tolerance = 1e-9, int max_order = 512);
  MehlerCoefficients coefficients(const Eigen::ArrayXd& q) const;
  /// Σ_{k≤K} a_k b_k ρ^k (Horner), K + 1 = `terms`.
  static double sum(const double* a, const double* b, Eigen::Index terms, double rho) {
    double acc = 0.0;
    for (Eigen::Index k = terms - 1; k >= 0; --k) acc = acc * rho + a[k] * b[k];
    return acc;
  }

 private:
  Activation phi_;
  double tolerance_;
  int max_order_;
};

/// The dual of a pointwise activation φ (docs/theory/dynamics.md §3.2, neural-tangents `stax/elementwise.py`):
/// for (u, v) ~ N(0, [[q1, Σ], [Σ, q2]]),
///   V(q1, q2, Σ) = E[φ(u) φ(v)],   V̇(q1, q2, Σ) = E[φ'(u) φ'(v)]   (φ' the a.e. derivative),
/// and their Σ-derivatives dV = ∂V/∂Σ and dV̇ = ∂V̇/∂Σ (for the slopes k'(ρ) of dot-product
/// kernels).  For continuous φ, dV = V̇ (Price's theorem); for φ with a jump (sign, the step
/// function ReLU⁰) it is not: dV carries the jump's δ, V̇ does not — backprop never sees it either.
/// |Σ| may exceed √(q1 q2) by rounding; it is clamped.  Derivatives are +∞ where they diverge
/// (kinked φ at Σ = ±√(q1 q2)).
class DualActivation {
 public:
  /// One closed form or quadrature rule.
  struct Impl {
    virtual ~Impl() = default;
    virtual double V(double q1, double q2, double s) const = 0;
    virtual double Vdot(double q1, double q2, double s) const = 0;
    virtual double dV(double q1, double q2, double s) const = 0;
    virtual double dVdot(double q1, double q2, double s) const = 0;
    /// A batched evaluator for whole kernel matrices, where the dual has one (numerical duals).
    virtual const MehlerSeries* series() const { return nullptr; }
  };

  /// `pointwise`: φ and φ' for finite networks (empty: the dual has no elementwise φ to simulate).
  /// `method`: "closed form" or the quadrature rule, for summaries.
  DualActivation(std::string name, std::shared_ptr<const Impl> impl, std::optional<Activation> pointwise,
                 std::string method = "closed form");

  double V(double q1, double q2, double s) const;
  double Vdot(double q1, double q2, double s) const;
  double Vdiag(double q) const { return V(q, q, q); }
  double Vdot_diag(double q) const { return Vdot(q, q, q); }
  double dV(double q1, double q2, double s) const;
  double dVdot(double q1, double q2, double s) const;

  /// Mehler series for whole kernel matrices (nngp_ntk), or nullptr: evaluate pair by pair.
  const MehlerSeries* series() const { return impl_->series(); }
  const std::string& name() const { return name_; }
  const std::string& method() const { return method_; }
  bool closed_form() const { return method_ == "closed form"; }
  /// φ with φ' set everywhere (0 on the flat pieces of sign and step); InvalidInput if there is none.
  const Activation& pointwise() const;
  /// The same dual under another name and pointwise φ (e.g. the project's "relu" for ABReLU(0, 1)).
  DualActivation with(std::string name, Activation pointwise) const;

 private:
  std::string name_, method_;
  std::shared_ptr<const Impl> impl_;
  std::optional<Activation> pointwise_;
};

// ---- closed forms (docs/theory/dynamics.md §3.2 table) -------------------------------------------------------

/// ABReLU a·min(z, 0) + b·max(z, 0): ReLU (0, 1), leaky ReLU (α, 1), |z| (−1, 1).
DualActivation abrelu_dual(double a, double b);
/// ReLU(z)^p, the arc-cosine kernel of degree p ≥ 0 (Cho & Saul): V = (q1 q2)^{p/2} J_p(θ)/2π.
DualActivation arccos_dual(int p);
/// J_p(θ) = (−1)^p sin^{2p+1}θ ((1/sin θ) d/dθ)^p [(π − θ)/sin θ], evaluated by the three-term
/// recurrence J_{n+1} = (2n+1) cos θ J_n + n² sin²θ J_{n−1} (README.md: derivation).
double arccos_J(int p, double theta);
/// a·erf(b z) + c.
DualActivation erf_dual(double a, double b, double c);
/// neural-tangents' Sigmoid_like: erf with a = 1/2, b = 1/2.4020563531719796, c = 1/2 (an
/// approximation of the logistic function, not equal to it).
DualActivation sigmoid_like_dual();
/// GELU z·Φ(z) (the exact one, not the tanh approximation).
DualActivation gelu_dual();
/// sign(z) (0 at 0).
DualActivation sign_dual();
/// a·sin(b z + c); cos(z) is (1, 1, π/2).
DualActivation sin_dual(double a, double b, double c);
/// a·exp(b z).
DualActivation exp_dual(double a, double b);
/// a·exp(b z²); needs (1 − 2b q) > 0 at every variance it meets.
DualActivation gaussian_dual(double a, double b);
/// Rbf(γ): exp(−γ(q1 + q2 − 2Σ)), the dual of √2 sin(√(2γ) z + π/4).
DualActivation rbf_dual(double gamma);
/// Σ_m c_m z^m (monomial coefficients c_0, c_1, …):
///   V = Σ_l r̃_l(q1) r̃_l(q2) Σ^l,  r̃_l(q) = Σ_i c_{2i+l} (2i+l)!/(2^i i! √(l!)) q^i.
DualActivation polynomial_dual(std::vector<double> monomial_coefficients, std::string name = "");
/// Σ_k c_k He_k(z) (probabilists' Hermite, the project's `hermite:c0,c1,…`).
DualActivation hermite_dual(const std::vector<double>& he_coefficients, std::string name = "");
/// He_p(z)/√(p!): V = Σ^p at unit variances.
DualActivation normalised_hermite_dual(int p);

// ---- quadrature for smooth φ without a closed form -----------------------------------------------

struct NumericalDualOptions {
  /// Trapezoid (sinc) rule for the standard normal in each of the two dimensions: nodes k·step on
  /// [−cutoff, cutoff].  For φ analytic in a strip |Im z| < a the error is O(e^{−π a/step}); it
  /// beats Gauss–Hermite with the same nodes, which waste them in the tails (README.md).
  double step = 0.125;
  double cutoff = 9.0;
  /// Kernel matrices (nngp_ntk) by the Mehler series of each layer's dual (MehlerSeries); false:
  /// the 2-D rule above for every pair, the reference the series is tested against (O(100×) slower).
  bool series = true;
};
/// V and V̇ by a nested tensor rule over u = √q1 z1, v = √q2 (ρ z1 + √(1−ρ²) z2).
/// Only for smooth φ: rejects (InvalidInput naming `parameter`) an activation with kinks or without
/// a derivative, for which tensor rules converge only algebraically (docs/theory/dynamics.md §3.2 warning).
/// dV̇ uses φ'' by central differences of φ'.
DualActivation numerical_dual(const Activation& phi, const NumericalDualOptions& options = {},
                              const std::string& parameter = "activation");

/// A dual by name.  The project's activations map onto closed forms where one exists (linear,
/// quadratic, cubic and hermite:… as polynomials; erf = erf:1,1,0; relu; sign; gelu; sin; cos) and
/// onto numerical_dual otherwise (tanh, the logistic sigmoid, softplus).  Also accepted:
/// abrelu:a,b  leaky_relu:α  abs  arccos:p (ReLU^p)  erf:a,b,c  sigmoid_like  sin:a,b,c  exp:a,b
/// gaussian:a,b  rbf:γ  monomial:p  polynomial:c0,c1,…  normalised_hermite:p.
/// InvalidInput naming `parameter` otherwise.
DualActivation make_dual(const std::string& spec, const std::string& parameter = "activation",
                         const NumericalDualOptions& options = {});

/// The spellings make_dual accepts, for help texts.
std::vector<std::string> dual_names();

}  // namespace rmtsolve::kernels
