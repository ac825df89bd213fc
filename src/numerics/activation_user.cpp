// Activations the user brings: a formula in x (muparser) and functions registered by name (the
// Python module registers callables).  Both become an ordinary Activation value, so every model
// that needs only Gaussian expectations of σ (and σ′) takes them like a built-in one.
#include <muParser.h>

#include <boost/math/differentiation/finite_difference.hpp>
#include <cmath>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/core/error.hpp"

namespace rmtsolve {
namespace {

// A muparser instance per (formula, thread): Eval writes the variable, so one parser cannot be
// shared between the seed threads of a Monte Carlo.
class Formula {
 public:
  Formula(std::string text, std::string parameter) : text_(std::move(text)), parameter_(std::move(parameter)) {
    static std::atomic<long> next{0};
    id_ = next++;
    parser();  // parse now: a syntax error is reported before any work
  }
  double operator()(double x) const {
    Compiled& c = parser();
    c.x = x;
    return c.p.Eval();
  }
  const std::string& text() const { return text_; }

 private:
  struct Compiled {
    double x = 0.0;
    mu::Parser p;
  };
  Compiled& parser() const {
    thread_local std::unordered_map<long, std::unique_ptr<Compiled>> cache;
    auto& slot = cache[id_];
    if (!slot) {
      auto c = std::make_unique<Compiled>();
      try {
        c->p.DefineVar("x", &c->x);
        c->p.SetExpr(text_);
        c->p.Eval();
      } catch (const mu::Parser::exception_type& e) {
        throw InvalidInput(parameter_, "cannot read the formula '" + text_ + "': " + e.GetMsg());
      }
      slot = std::move(c);
    }
    return *slot;
  }
  std::string text_, parameter_;
  long id_ = 0;
};

std::mutex registry_mutex;
std::map<std::string, Activation>& registry() {
  static std::map<std::string, Activation> r;
  return r;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) out.push_back(part);
  return out;
}

}  // namespace

void complete_user_activation(Activation& a, const std::string& parameter) {
  if (!a.f) throw InvalidInput(parameter, "activation '" + a.name + "' has no function");
  // Gaussian expectations integrate over the whole line: σ must be finite wherever the Gaussian
  // weight is not negligible (|x| ≤ 12 at unit variance; larger variances are the user's to keep finite).
  double worst = 0.0;
  for (int i = 0; i <= 240; ++i) {
    const double x = -12.0 + 0.1 * i, y = a.f(x);
    if (!std::isfinite(y)) {
      std::ostringstream msg;
      msg << "activation '" << a.name << "' is not finite at x = " << x;
      throw InvalidInput(parameter, msg.str());
    }
    worst = std::max(worst, std::abs(y + a.f(-x)) / (1.0 + std::abs(y)));
  }
  // Odd to rounding on the grid: the one-step mapping then needs no shrink correction.
  a.odd = worst <= 1e-13;
  if (!a.df) {
    // σ′ by Boost's sixth-order central difference (error ~ ε^{6/7} relative for smooth σ); at a
    // kink it gives the average of the one-sided slopes, like the a.e. derivative of built-ins.
    const auto f = a.f;
    a.df = [f](double x) { return boost::math::differentiation::finite_difference_derivative(f, x); };
  }
}

Activation expression_activation(const std::string& spec, const std::string& parameter) {
  // expr:FORMULA[;d=FORMULA][;kinks=a:b:...][;smooth]
  const auto parts = split(spec.substr(5), ';');
  if (parts.empty() || parts[0].empty()) throw InvalidInput(parameter, "expr: needs a formula in x, e.g. expr:tanh(x)+0.1*x");
  Activation a;
  a.name = spec;
  auto f = std::make_shared<Formula>(parts[0], parameter);
  a.f = [f](double x) { return (*f)(x); };
  // A cut at a smooth point costs a few evaluations; a kink at 0 (max, abs, x > 0 ? … : …) not cut
  // costs accuracy (1e-8 instead of 1e-10), so 0 is always a cut.
  a.kinks = {0.0};
  bool smooth = false, kinked = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].rfind("d=", 0) == 0) {
      auto df = std::make_shared<Formula>(parts[i].substr(2), parameter);
      a.df = [df](double x) { return (*df)(x); };
    } else if (parts[i].rfind("kinks=", 0) == 0) {
      for (const auto& k : split(parts[i].substr(6), ':')) {
        char* end = nullptr;
        const double v = std::strtod(k.c_str(), &end);
        if (k.empty() || *end != '\0' || !std::isfinite(v)) throw InvalidInput(parameter, "kinks: '" + k + "' is not a number");
        if (v != 0.0) a.kinks.push_back(v);
      }
      kinked = true;
    } else if (parts[i] == "smooth") {
      smooth = true;
    } else {
      throw InvalidInput(parameter, "expr: unknown option '" + parts[i] + "' (known: d=FORMULA, kinks=a:b, smooth)");
    }
  }
  if (smooth && kinked) throw InvalidInput(parameter, "expr: 'smooth' and 'kinks=' contradict each other");
  // The user's word that σ is analytic: no cut at 0, and the kernel model's numerical dual accepts it.
  if (smooth) a.kinks.clear();
  complete_user_activation(a, parameter);
  return a;
}

void register_activation(const std::string& name, Activation a) {
  if (name.find(':') == std::string::npos || name.rfind("expr:", 0) == 0 || name.rfind("hermite:", 0) == 0)
    throw InvalidInput("name", "a registered activation is named PREFIX:NAME (e.g. user:mysigma), got '" + name + "'");
  a.name = name;
  complete_user_activation(a, "activation");
  std::lock_guard<std::mutex> lock(registry_mutex);
  registry()[name] = std::move(a);
}

void unregister_activations(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  for (auto it = registry().begin(); it != registry().end();)
    it = it->first.rfind(prefix, 0) == 0 ? registry().erase(it) : std::next(it);
}

std::optional<Activation> registered_activation(const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = registry().find(name);
  if (it == registry().end()) return std::nullopt;
  return it->second;
}

}  // namespace rmtsolve
