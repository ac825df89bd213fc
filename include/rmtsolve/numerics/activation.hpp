#pragma once
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rmtsolve {

/// Moments of σ(u) for u ~ N(m, s²).  `slope` is E σ'(u) = E[z σ(m + s z)]/s (Stein), the
/// coefficient every linearisation in docs/theory/deep.md §2.1 uses.
struct GaussianMoments {
  double mean = 0.0;    // E σ(u)
  double slope = 0.0;   // E σ'(u)
  double second = 0.0;  // E σ(u)²
};

/// A pointwise activation (or target link) with what the Gaussian integrator needs to know about
/// it: where it is not smooth, whether its moments have a closed form, and whether it is a
/// polynomial (then Gauss–Hermite with enough nodes is exact).
struct Activation {
  std::string name;
  std::function<double(double)> f;
  std::function<double(double)> df;  // σ′ (almost everywhere); empty where σ′ is not a function (sign)
  /// σ over a whole buffer with Eigen's vectorised array functions, where one exists (the Monte
  /// Carlo's hot loop); empty: apply f entry by entry.
  std::function<void(double* data, long size)> apply_inplace;
  /// The same in single precision (the float32 Monte Carlo path); empty: f entry by entry.
  std::function<void(float* data, long size)> apply_inplace_float;
  /// σ and σ′ over a whole buffer in one vectorised pass (the gradient step of the Monte Carlo):
  /// `data` holds the pre-activations and is overwritten by σ′, `value` receives σ.  Empty: f and
  /// df entry by entry.
  std::function<void(double* data, double* value, long size)> apply_with_slope;
  std::vector<double> kinks;  // points where σ or σ' jumps; quadrature splits there
  std::optional<std::function<GaussianMoments(double m, double s)>> closed_form;
  int polynomial_degree = -1;  // ≥ 0 for polynomials
  bool odd = false;

  double operator()(double x) const { return f(x); }
};

/// Builds an activation by name: linear, tanh, erf, relu, sign, sigmoid, softplus, gelu,
/// quadratic (x²), cubic (He3 = x³ − 3x), or "hermite:c0,c1,c2,..." for Σ c_k He_k(x)
/// (probabilists' Hermite polynomials).  Throws InvalidInput naming `parameter` otherwise.
Activation make_activation(const std::string& spec, const std::string& parameter = "activation");

/// "expr:FORMULA[;d=FORMULA][;kinks=a:b:...][;smooth]": σ given as a formula in x (muparser syntax:
/// + - * / ^, sin cos tan tanh exp log sqrt abs min max sign, `x > 0 ? x : 0`, constants _pi _e).
/// σ′ is the `d=` formula if given, else Boost's sixth-order central difference of σ; `kinks`
/// are points other than 0 where σ or σ′ jumps (0 is always a cut, unless `smooth` declares σ
/// analytic: then there is no cut, and the kernel model can build σ's dual numerically).  Refused with InvalidInput naming
/// `parameter` when the formula does not parse or σ is not finite on [−12, 12].  Gaussian
/// expectations then take the adaptive-quadrature route of the built-ins without a closed form
/// (tanh, softplus), with the same accuracy.  make_activation accepts this form.
Activation expression_activation(const std::string& spec, const std::string& parameter = "activation");

/// Registers a user activation under `name` ("PREFIX:NAME", e.g. "user:mysigma"); make_activation
/// then returns it for that name.  `a.f` is required; `a.df` defaults to a numerical derivative;
/// `a.odd` is measured.  Thread-safe.  (The Python module registers callables as "python:NAME".)
void register_activation(const std::string& name, Activation a);
/// Removes every registered activation whose name starts with `prefix`.
void unregister_activations(const std::string& prefix);
/// The activation registered under `name`, if any.
std::optional<Activation> registered_activation(const std::string& name);
/// Checks σ (finite on [−12, 12]), measures oddness and supplies a numerical σ′ where none is given.
void complete_user_activation(Activation& a, const std::string& parameter);

/// What a per-thread cache of tabulated moments compares instead of re-parsing a name: the name and
/// σ at a few fixed points, so that two activations built under one name with different σ (a
/// Python function re-registered under its old name, a hand-built Activation) never share an entry.
struct ActivationKey {
  std::string name;
  std::array<double, 5> samples{};
  bool operator==(const ActivationKey& o) const { return name == o.name && samples == o.samples; }
  bool operator!=(const ActivationKey& o) const { return !(*this == o); }
};
ActivationKey activation_key(const Activation& a);

/// Probabilists' Hermite polynomial He_k(x) (three-term recurrence).
double hermite_he(int k, double x);

/// The names accepted by make_activation, for help texts.
std::vector<std::string> activation_names();

}  // namespace rmtsolve
