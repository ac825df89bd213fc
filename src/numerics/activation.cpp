#include "rmtsolve/numerics/activation.hpp"

#include <Eigen/Core>
#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/owens_t.hpp>
#include <cmath>
#include <sstream>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/grid.hpp"
#include "rmtsolve/numerics/vector_math.hpp"

namespace rmtsolve {
namespace {

using boost::math::constants::one_div_root_two_pi;
using boost::math::constants::pi;
using boost::math::constants::root_pi;
using boost::math::constants::root_two;

using ArrayMap = Eigen::Map<Eigen::ArrayXd>;
using ArrayMapF = Eigen::Map<Eigen::ArrayXf>;

double normal_pdf(double x) { return one_div_root_two_pi<double>() * std::exp(-0.5 * x * x); }
double normal_cdf(double x) { return 0.5 * boost::math::erfc(-x / root_two<double>()); }

GaussianMoments relu_moments(double m, double s) {
  const double a = m / s;
  const double Phi = normal_cdf(a), phi = normal_pdf(a);
  return {m * Phi + s * phi, Phi, (m * m + s * s) * Phi + m * s * phi};
}

GaussianMoments sign_moments(double m, double s) {
  return {boost::math::erf(m / (s * root_two<double>())), 2.0 * normal_pdf(m / s) / s, 1.0};
}

// erf(u) = 2Φ(√2 u) − 1.  E[Φ(√2u)²] is a bivariate normal orthant probability with equal
// arguments, which Owen's T gives exactly: Φ₂(x, x; ρ) = Φ(x) − 2 T(x, √((1−ρ)/(1+ρ))).
GaussianMoments erf_moments(double m, double s) {
  const double v = 1.0 + 2.0 * s * s;
  const double x = root_two<double>() * m / std::sqrt(v);
  const double Phi = normal_cdf(x);
  const double Phi2 = Phi - 2.0 * boost::math::owens_t(x, 1.0 / std::sqrt(1.0 + 4.0 * s * s));
  return {2.0 * Phi - 1.0, 2.0 / root_pi<double>() * std::exp(-m * m / v) / std::sqrt(v),
          4.0 * Phi2 - 4.0 * Phi + 1.0};
}

constexpr size_t kMaxHermiteCoefficients = 41;

std::vector<double> parse_coefficients(const std::string& list, const std::string& parameter) {
  std::vector<double> c = parse_number_list(list, parameter, "hermite:" + list);
  if (c.empty()) throw InvalidInput(parameter, "hermite: needs at least one coefficient");
  // Degree and size bounded up front: 200 coefficients ran for ever, and a coefficient of 1e308
  // overflowed later in a quantity blamed on another flag.
  if (c.size() > kMaxHermiteCoefficients)
    throw InvalidInput(parameter, "hermite: at most " + std::to_string(kMaxHermiteCoefficients) + " coefficients (degree " +
                                      std::to_string(kMaxHermiteCoefficients - 1) + ")");
  double variance = 0.0;  // E[sigma(z)^2] = sum_k c_k^2 k!
  for (size_t k = 0; k < c.size(); ++k) variance += c[k] * c[k] * std::tgamma(static_cast<double>(k) + 1.0);
  if (!(variance <= 1e150)) throw InvalidInput(parameter, "hermite: coefficients too large (E[sigma(z)^2] = sum c_k^2 k! must be at most 1e150)");
  return c;
}

Activation polynomial(std::string name, std::vector<double> he_coeffs) {
  Activation a;
  a.name = std::move(name);
  int degree = 0;
  bool odd = true;
  for (size_t k = 0; k < he_coeffs.size(); ++k) {
    if (he_coeffs[k] != 0.0) {
      degree = static_cast<int>(k);
      if (k % 2 == 0) odd = false;
    }
  }
  a.polynomial_degree = degree;
  a.odd = odd;
  a.f = [c = he_coeffs](double x) {
    double y = 0.0;
    for (size_t k = 0; k < c.size(); ++k)
      if (c[k] != 0.0) y += c[k] * hermite_he(static_cast<int>(k), x);
    return y;
  };
  a.df = [c = std::move(he_coeffs)](double x) {  // He_k′ = k He_{k−1}
    double y = 0.0;
    for (size_t k = 1; k < c.size(); ++k)
      if (c[k] != 0.0) y += c[k] * static_cast<double>(k) * hermite_he(static_cast<int>(k) - 1, x);
    return y;
  };
  return a;
}

}  // namespace

double hermite_he(int k, double x) {
  double h0 = 1.0, h1 = x;
  if (k == 0) return h0;
  for (int j = 1; j < k; ++j) {
    const double h2 = x * h1 - j * h0;
    h0 = h1;
    h1 = h2;
  }
  return h1;
}

ActivationKey activation_key(const Activation& a) {
  ActivationKey k{a.name, {}};
  const std::array<double, 5> at{-1.7, -0.45, 0.3, 0.85, 2.2};  // not 0 or ±1, where look-alikes agree
  for (size_t i = 0; i < at.size(); ++i) k.samples[i] = a.f(at[i]);
  return k;
}

std::vector<std::string> activation_names() {
  return {"linear", "tanh", "erf",       "relu",  "sign", "sigmoid",          "softplus",
          "gelu",   "sin",  "cos", "quadratic", "cubic", "hermite:c0,c1,...", "expr:FORMULA_IN_x"};
}

Activation make_activation(const std::string& spec, const std::string& parameter) {
  Activation a;
  a.name = spec;
  if (spec == "linear") {
    a = polynomial(spec, {0.0, 1.0});
    a.closed_form = [](double m, double s) { return GaussianMoments{m, 1.0, m * m + s * s}; };
    a.apply_inplace = [](double*, long) {};
    a.apply_inplace_float = [](float*, long) {};
  } else if (spec == "tanh") {
    a.f = [](double x) { return std::tanh(x); };
    // Eigen's double tanh is scalar: libmvec's vector tanh where the CPU has AVX2/AVX-512, else
    // Eigen's vectorised exp (tanh_inplace).
    a.apply_inplace = tanh_inplace;
    a.apply_inplace_float = [](float* v, long n) { ArrayMapF(v, n) = ArrayMapF(v, n).tanh(); };  // vectorised for float
    a.df = [](double x) { return 1.0 - std::tanh(x) * std::tanh(x); };
    a.apply_with_slope = [](double* v, double* value, long n) {  // tanh′ = 1 − tanh²
      ArrayMap(value, n) = ArrayMap(v, n);
      tanh_inplace(value, n);
      ArrayMap(v, n) = 1.0 - ArrayMap(value, n).square();
    };
    a.odd = true;
  } else if (spec == "erf") {
    a.f = [](double x) { return boost::math::erf(x); };
    a.df = [](double x) { return 2.0 / root_pi<double>() * std::exp(-x * x); };
    a.closed_form = erf_moments;
    a.odd = true;
  } else if (spec == "relu") {
    a.f = [](double x) { return x > 0.0 ? x : 0.0; };
    a.apply_inplace = [](double* v, long n) { ArrayMap(v, n) = ArrayMap(v, n).max(0.0); };
    a.apply_inplace_float = [](float* v, long n) { ArrayMapF(v, n) = ArrayMapF(v, n).max(0.0f); };
    a.df = [](double x) { return x > 0.0 ? 1.0 : 0.0; };
    a.apply_with_slope = [](double* v, double* value, long n) {
      ArrayMap(value, n) = ArrayMap(v, n).max(0.0);
      ArrayMap(v, n) = (ArrayMap(v, n) > 0.0).cast<double>();
    };
    a.kinks = {0.0};
    a.closed_form = relu_moments;
  } else if (spec == "sign") {
    a.f = [](double x) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); };
    a.kinks = {0.0};
    a.closed_form = sign_moments;
    a.odd = true;
  } else if (spec == "sigmoid") {
    a.f = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
    a.apply_inplace = [](double* v, long n) { ArrayMap(v, n) = 1.0 / (1.0 + (-ArrayMap(v, n)).exp()); };
    a.apply_inplace_float = [](float* v, long n) { ArrayMapF(v, n) = 1.0f / (1.0f + (-ArrayMapF(v, n)).exp()); };
    a.df = [](double x) {
      const double s = 1.0 / (1.0 + std::exp(-x));
      return s * (1.0 - s);
    };
    a.apply_with_slope = [](double* v, double* value, long n) {  // σ′ = σ(1 − σ)
      ArrayMap(value, n) = 1.0 / (1.0 + (-ArrayMap(v, n)).exp());
      ArrayMap(v, n) = ArrayMap(value, n) * (1.0 - ArrayMap(value, n));
    };
  } else if (spec == "softplus") {
    // log1p(e^x) overflows for large x; x + log1p(e^{-x}) does not.
    a.f = [](double x) { return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); };
    a.df = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  } else if (spec == "gelu") {
    a.f = [](double x) { return x * 0.5 * boost::math::erfc(-x / root_two<double>()); };
    a.df = [](double x) { return 0.5 * boost::math::erfc(-x / root_two<double>()) + x * normal_pdf(x); };
  } else if (spec == "sin" || spec == "cos") {
    // E sin(m + s z) = sin(m) e^{−s²/2}, E sin² = (1 − cos(2m) e^{−2s²})/2; cos likewise.
    const bool is_sin = spec == "sin";
    a.f = is_sin ? [](double x) { return std::sin(x); } : [](double x) { return std::cos(x); };
    a.df = is_sin ? [](double x) { return std::cos(x); } : [](double x) { return -std::sin(x); };
    a.odd = is_sin;
    a.closed_form = [is_sin](double m, double s) {
      const double damp = std::exp(-0.5 * s * s), damp4 = std::exp(-2.0 * s * s);
      return is_sin ? GaussianMoments{std::sin(m) * damp, std::cos(m) * damp, 0.5 * (1.0 - std::cos(2 * m) * damp4)}
                    : GaussianMoments{std::cos(m) * damp, -std::sin(m) * damp, 0.5 * (1.0 + std::cos(2 * m) * damp4)};
    };
  } else if (spec == "quadratic") {
    a = polynomial(spec, {1.0, 0.0, 1.0});  // x² = He2 + He0
  } else if (spec == "cubic") {
    a = polynomial(spec, {0.0, 0.0, 0.0, 1.0});
  } else if (spec.rfind("hermite:", 0) == 0) {
    a = polynomial(spec, parse_coefficients(spec.substr(8), parameter));
  } else if (spec.rfind("expr:", 0) == 0) {
    a = expression_activation(spec, parameter);
  } else if (auto user = registered_activation(spec)) {
    a = *user;
  } else {
    std::string names;
    for (const auto& n : activation_names()) names += (names.empty() ? "" : ", ") + n;
    throw InvalidInput(parameter, "unknown activation '" + spec + "' (known: " + names + ")");
  }
  return a;
}

}  // namespace rmtsolve
