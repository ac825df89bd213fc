// The srf-class hinge channel in closed form (equations/srf_glm/hinge_channel.cpp) against an
// independent adaptive integration over the field u, written here from the definitions.
#include <gtest/gtest.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cmath>
#include <functional>
#include <string>
#include <memory>
#include <vector>

#include "equations/gcm/gcm.hpp"
#include "equations/srf_glm/hinge_channel.hpp"
#include "equations/srf_glm/srf_glm.hpp"
#include "rmtsolve/numerics/loss.hpp"

using namespace rmtsolve;

namespace {

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }

// E_u over u ~ N(0,1) of the six channel integrands (A, B, C, D, training loss, training squared
// error), label by label, from the definitions: P(y | u) = Φ(y(t0 + t1 u)/tsd) (sign(y t0) if
// tsd = 0), ∂P = yρφ((t0 + t1 u)/tsd)/tsd, and the hinge prox of gcm in terms of the margin deficit
// d = 1 − yω: free (z = ω, f = 0) for d ≤ 0, pinned (z = y, f = y d/V, 1 − ∂z/∂ω = 1) for
// 0 < d ≤ V, violated (z = ω + V y, f = y) for d > V.  GSL's CQUAD on each branch's region, split
// at the label switch and on a unit grid, relative tolerance 1e-15 per piece, over |u| ≤ 40; the
// pinned band (width V/√Q in u, which rounding of u or ω would blur when V ≪ 1) in its own
// variable t ∈ [0, 1], u = u_1 − y (V/√Q) t, d = V t.
// Returns per term the integral and the same with every label's contribution in absolute value.
struct Reference {
  std::array<double, 6> value{}, magnitude{};
};

Reference by_quadrature(const srf_glm::HingeField& f) {
  Reference out;
  std::unique_ptr<gsl_integration_cquad_workspace, decltype(&gsl_integration_cquad_workspace_free)> ws(
      gsl_integration_cquad_workspace_alloc(200), gsl_integration_cquad_workspace_free);
  gsl_error_handler_t* old = gsl_set_error_handler_off();
  auto integrate = [&](const std::function<double(double)>& g, double a, double b, double tol) {
    std::function<double(double)> h = g;
    gsl_function F{[](double x, void* p) { return (*static_cast<std::function<double(double)>*>(p))(x); }, &h};
    double r = 0.0, err = 0.0;
    size_t evals = 0;
    gsl_integration_cquad(&F, a, b, 1e-19, tol, ws.get(), &r, &err, &evals);
    return r;
  };
  const double eps = f.V / f.sd;
  for (double y : {-1.0, 1.0}) {
    const double u1 = (y - f.yhat0) / f.sd;  // d = 0
    auto prob = [&](double u) {
      const double mean = f.t0 + f.t1 * u;
      if (!(f.tsd > 0.0)) return std::make_pair(y * mean > 0.0 ? 1.0 : (mean == 0.0 ? 0.5 : 0.0), 0.0);
      return std::make_pair(Phi(y * mean / f.tsd), y * f.rho * phi(mean / f.tsd) / f.tsd);
    };
    // Terms at u with deficit d on branch `branch` (0 free, 1 pinned, 2 violated), times φ(u).
    auto terms = [&](double u, double d, int branch) {
      const auto [P, dP] = prob(u);
      double fv = 0.0, a = 0.0, loss = 0.0, sq = 0.0;
      if (branch == 0) {
        sq = d * d;
      } else if (branch == 1) {
        fv = y * d / f.V;
        a = 1.0 / f.V;
      } else {
        fv = y;
        loss = d - f.V;
        sq = (d - f.V) * (d - f.V);
      }
      const double w = phi(u);
      return std::array<double, 6>{w * P * a, w * P * fv * fv, w * dP * fv, w * P * fv, w * P * loss, w * P * sq};
    };
    std::vector<double> grid;
    for (double u = -12.0; u <= 12.0; u += 1.0) grid.push_back(u);
    if (f.t1 != 0.0) {
      const double centre = -f.t0 / f.t1, width = f.tsd / std::abs(f.t1);
      grid.push_back(centre);
      for (double s : {0.5, 1.0, 2.0, 4.0, 8.0, 16.0}) {
        grid.push_back(centre - s * width);
        grid.push_back(centre + s * width);
      }
    }
    // Free and violated regions in u.
    const double free_lo = y > 0 ? u1 : -40.0, free_hi = y > 0 ? 40.0 : u1;
    const double viol_lo = y > 0 ? -40.0 : u1 + eps, viol_hi = y > 0 ? u1 - eps : 40.0;
    for (int branch : {0, 2}) {
      const double lo = std::max(-40.0, branch == 0 ? free_lo : viol_lo), hi = std::min(40.0, branch == 0 ? free_hi : viol_hi);
      if (!(lo < hi)) continue;
      std::vector<double> cuts{lo, hi};
      for (double g : grid)
        if (lo < g && g < hi) cuts.push_back(g);
      std::sort(cuts.begin(), cuts.end());
      for (size_t j = 0; j + 1 < cuts.size(); ++j)
        for (size_t k = 0; k < 6; ++k)
          for (int kind = 0; kind < 2; ++kind) {
            auto g = [&](double u) {
              const double v = terms(u, (1.0 - y * f.yhat0) - y * f.sd * u, branch)[k];
              return kind == 1 ? std::abs(v) : v;
            };
            const double r = integrate(g, cuts[j], cuts[j + 1], kind == 0 ? 1e-15 : 1e-8);
            (kind == 0 ? out.value : out.magnitude)[k] += r;
          }
    }
    // The pinned band, split where the label switch falls inside it: in u where it is wide, in t
    // where it is narrow (rounding of u near a steep label switch would err there, 1e-16 b in the
    // argument of φ(b u), on the wide band written in t).
    if (f.V > 0.0) {
      const bool narrow = eps < 1e-3;
      std::vector<double> cuts{0.0, 1.0};
      for (double g : grid) {
        const double t = (u1 - g) * y / eps;
        if (0.0 < t && t < 1.0) cuts.push_back(t);
      }
      std::sort(cuts.begin(), cuts.end());
      for (size_t j = 0; j + 1 < cuts.size(); ++j)
        for (size_t k = 0; k < 6; ++k)
          for (int kind = 0; kind < 2; ++kind) {
            auto g = [&](double x) {  // x = t (narrow) or u (wide)
              const double v = narrow ? eps * terms(u1 - y * eps * x, f.V * x, 1)[k]
                                      : terms(x, (1.0 - y * f.yhat0) - y * f.sd * x, 1)[k];
              return kind == 1 ? std::abs(v) : v;
            };
            double a = cuts[j], b = cuts[j + 1];
            if (!narrow) {
              a = u1 - y * eps * cuts[j];
              b = u1 - y * eps * cuts[j + 1];
              if (a > b) std::swap(a, b);
            }
            const double r = integrate(g, a, b, kind == 0 ? 1e-15 : 1e-8);
            (kind == 0 ? out.value : out.magnitude)[k] += r;
          }
    }
  }
  gsl_set_error_handler(old);
  return out;
}

}  // namespace

TEST(SrfGlm, HingeChannelInClosedFormEqualsTheIntegralOverTheField) {
  struct Label {
    double t0, t1, tsd, rho;
  };
  const std::vector<Label> labels{
      {0.5, 0.3, 0.8, 0.9},     // generic
      {-0.7, 0.6, 0.4, 0.7},    // label switch inside the bulk
      {2.0, 0.1, 0.05, 0.2},    // steep switch, far from u = 0
      {0.3, 0.0, 1.0, 1.0},     // t1 = 0 (r = 0 or ψ = 0)
      {0.0, 1.2, 1e-4, 1.0},    // nearly deterministic label (probit with tiny noise)
      {-6.0, 0.5, 0.5, 0.6},    // label −1 almost surely: P(+1) in the far tail
      {1.3, 0.0, 0.0, 0.0},     // sign teacher with γ = 1: y = sign(t0)
      {-0.4, 0.0, 0.0, 0.0},    // γ = −1
      {0.4, 0.8, 0.0, 0.0},     // noiseless label switching at u = −0.5 (a step in u; not reached by srf-class)
  };
  struct Field {
    double V, sd, yhat0;
  };
  const std::vector<Field> fields{
      {0.3, 0.5, 0.2},  {1.5, 1.0, -0.5}, {0.05, 0.02, 1.01},  // √Q small, band near the mean
      {2.0, 3.0, 4.0},  {0.4, 0.15, 1.05}, {1e-3, 0.006, 0.999},  // the collapsing band of the κ tails
      {1e-9, 0.1, 0.9}, {1e-30, 1e-20, 1.0 - 5e-21},  // V → 0: the band's mass stays, its width vanishes
      {0.5, 0.05, 3.0},  // every margin satisfied: the moments live in the far tail (u < −40)
      {0.7, 0.3, -2.5},  // margins violated for y = +1
      {0.2, 1e-6, 0.3},  // Q tiny: the field is deterministic
      {1.0, 1.0, 1.2},   // wide band holding the switch of the noiseless step label below
  };
  double worst = 0.0;
  int absolute_only = 0;  // terms within the absolute floor but not within 1e-12 relative
  for (const Label& lb : labels)
    for (const Field& fd : fields) {
      const srf_glm::HingeField f{fd.V, fd.sd, fd.yhat0, lb.t0, lb.t1, lb.tsd, lb.rho};
      const Reference ref = by_quadrature(f);
      const Eigen::Array4d m = srf_glm::hinge_moments(f);
      const Eigen::Array2d t = srf_glm::hinge_training(f);
      const std::array<double, 6> got{m[0], m[1], m[2], m[3], t[0], t[1]};
      for (size_t k = 0; k < 6; ++k) {
        // 1e-12 of the labels' contributions in absolute value (relative accuracy of each, also
        // where D = D(+1) − D(−1) cancels), plus 1e-15 of the term's natural scale: 1/V (A),
        // ρ/√(t1² + tsd²) (C), 1 (B, D), 1 + |ŷ0| + √Q (loss) and its square (squared error).
        // The latter admits what Owen's reduction leaves in the far tails of field and label
        // probability at once: a lower orthant Φ2(h, k; r) ≪ Φ(k) with k moderate is the difference
        // of terms of size Φ(k) (½Φ(k) − T(k, a), a ≫ 1), exact only to ~1e-16 Φ(k) absolute.
        const double width = 1.0 + std::abs(fd.yhat0) + fd.sd;
        const double natural[6] = {1.0 / fd.V, 1.0, lb.tsd > 0.0 ? lb.rho / std::hypot(lb.t1, lb.tsd) : 0.0, 1.0, width, width * width};
        const double tol = 1e-12 * ref.magnitude[k] + 1e-15 * natural[k];
        if (std::abs(got[k] - ref.value[k]) > 1e-12 * ref.magnitude[k]) {
          ++absolute_only;
          std::printf("within the floor only: term %zu = %.3g (V=%g sd=%g yhat0=%g t0=%g t1=%g tsd=%g), relative %.2g\n", k, ref.value[k], fd.V, fd.sd, fd.yhat0, lb.t0, lb.t1, lb.tsd, std::abs(got[k] - ref.value[k]) / ref.magnitude[k]);
        }
        worst = std::max(worst, std::abs(got[k] - ref.value[k]) / std::max(tol, 1e-300) * 1e-12);
        EXPECT_LE(std::abs(got[k] - ref.value[k]), tol)
            << "term " << k << " V=" << fd.V << " sd=" << fd.sd << " yhat0=" << fd.yhat0 << " t0=" << lb.t0
            << " t1=" << lb.t1 << " tsd=" << lb.tsd << ": closed " << got[k] << " quadrature " << ref.value[k]
            << " magnitude " << ref.magnitude[k];
      }
    }
  std::printf("worst difference / tolerance: %.3g; %d of %zu terms only within the absolute floor\n", worst * 1e12,
              absolute_only, 6 * labels.size() * fields.size());
  RecordProperty("worst_relative_difference", std::to_string(worst));
}

TEST(SrfGlm, HingeCurveInClosedFormEqualsTheQuadratureCurve) {
  // The whole state evolution with the closed-form channel against the same with the composite
  // Gauss–Legendre u rule it replaced (Spec::hinge_by_quadrature): an η̃ sweep at α = 2, λ = 0.01
  // (the benchmark's curve, warm-started as the CLI does), the validation grid's hardest point
  // (η̃ = 4, α = 0.5, β = 2, λ = 0.05) and a probit teacher.  Over the 100-point benchmark curve the
  // two differ by ≤ 1e-11 relative (the quadrature's own accuracy; the solver stops at 1e-12), and
  // the iteration counts are identical.  Required: 1e-9 relative in every output.
  struct Case {
    double eta, alpha, beta, lambda;
    gcm::Teacher teacher;
    double noise;
  };
  std::vector<Case> cases;
  for (double eta : {0.0, 0.4, 1.2, 2.0, 2.8, 3.96}) cases.push_back({eta, 2.0, 1.0, 0.01, gcm::Teacher::kSign, 0.0});
  cases.push_back({4.0, 0.5, 2.0, 0.05, gcm::Teacher::kSign, 0.0});
  cases.push_back({2.0, 1.0, 1.0, 0.05, gcm::Teacher::kProbit, 0.25});
  Eigen::VectorXd warm_closed, warm_quadrature;
  for (const Case& c : cases) {
    srf_glm::Spec s;
    s.loss = Loss::kHinge;
    s.eta = c.eta;
    s.alpha = c.alpha;
    s.beta = c.beta;
    s.lambda = c.lambda;
    s.teacher = c.teacher;
    s.noise = c.noise;
    const auto closed = srf_glm::solve(s, {}, nullptr, nullptr, &warm_closed);
    s.hinge_by_quadrature = true;
    const auto quadrature = srf_glm::solve(s, {}, nullptr, nullptr, &warm_quadrature);
    ASSERT_TRUE(closed.summary.converged && quadrature.summary.converged) << closed.summary.brief() << " / " << quadrature.summary.brief();
    const std::string at = "eta=" + std::to_string(c.eta) + " alpha=" + std::to_string(c.alpha) + " beta=" + std::to_string(c.beta);
    auto near = [&](const char* name, double a, double b, double scale) {
      EXPECT_LE(std::abs(a - b), 1e-9 * scale) << name << " at " << at << ": closed " << a << " quadrature " << b;
    };
    near("classification_error", closed.classification_error, quadrature.classification_error, quadrature.classification_error);
    near("test_error", closed.test_error, quadrature.test_error, quadrature.test_error);
    near("train_error", closed.train_error, quadrature.train_error, quadrature.train_error);
    near("train_loss", closed.train_loss, quadrature.train_loss, quadrature.train_loss);
    near("q1", closed.q1, quadrature.q1, quadrature.q1);
    near("q2", closed.q2, quadrature.q2, quadrature.q2);
    near("V1", closed.V1, quadrature.V1, quadrature.V1);
    near("V2", closed.V2, quadrature.V2, quadrature.V2);
    // ψ, τ and m vanish without a step (r = 0): relative to √q1 (ψ² ≤ q1) and to 1 there.
    near("psi", closed.psi, quadrature.psi, std::sqrt(quadrature.q1));
    near("tau", closed.tau, quadrature.tau, std::max(std::abs(quadrature.tau), c.eta > 0.0 ? 0.0 : 1.0));
    near("m", closed.m, quadrature.m, std::max(std::abs(quadrature.m), c.eta > 0.0 ? 0.0 : 1.0));
  }
}
