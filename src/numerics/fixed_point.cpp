#include "rmtsolve/numerics/fixed_point.hpp"

#include "rmtsolve/core/interrupt.hpp"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multiroots.h>

#include <chrono>
#include <cmath>
#include <memory>

namespace rmtsolve {
namespace {

using Clock = std::chrono::steady_clock;

double scale_of(const Eigen::VectorXd& x) { return std::max(1.0, x.cwiseAbs().maxCoeff()); }

struct Workspace {
  Workspace(Eigen::Index n, int memory)
      : g(n), f(n), f_prev(n), x_prev(n), dX(n, memory), dF(n, memory), qr(n, memory) {}
  Eigen::VectorXd g, f, f_prev, x_prev;
  Eigen::MatrixXd dX, dF;  // ring buffers of iterate and residual differences
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr;
};

// Damped Anderson iteration, safeguarded: an accelerated step that leaves the admissible domain is
// pulled back towards the plain damped step, and one that does not reduce the relative residual is
// rejected in favour of the plain step.  Returns true on convergence; `best` tracks the iterate
// with the smallest residual so a failure still leaves the most useful state behind.
bool anderson(const FixedPointMap& G, Eigen::VectorXd& x, const SolverOptions& o, const Admissible& admissible,
              Summary& s, Eigen::VectorXd& best, double& best_res) {
  const Eigen::Index n = x.size();
  const int m = std::max(0, o.anderson_memory);
  const double mix = 1.0 - o.damping;
  Workspace w(n, std::max(1, m));
  Eigen::VectorXd plain(n), weight(n);
  int stored = 0, head = 0;
  bool accelerated = false;
  best = x;
  best_res = std::numeric_limits<double>::infinity();
  // Progress is judged on the residual relative to the size of the iterate, the quantity the
  // stopping rule uses: order parameters that grow by orders of magnitude on the way to the fixed
  // point (V ~ 10³ at small ridge) would otherwise look like divergence.
  double best_rel = std::numeric_limits<double>::infinity(), last_rel = best_rel;
  for (int k = 0; k < o.max_iterations; ++k) {
    throw_if_interrupted();  // a slow map (a quadrature per component) may take seconds per point
    G(x, w.g);
    ++s.evaluations;
    s.iterations = k + 1;
    w.f = w.g - x;
    const double res = w.f.cwiseAbs().maxCoeff();
    const double rel = res / scale_of(x);
    if (accelerated && !(rel < last_rel)) {  // the accelerated step did not help: take the plain one
      x = plain;
      stored = head = 0;
      accelerated = false;
      continue;
    }
    if (!std::isfinite(res)) {
      if (!std::isfinite(best_res)) return false;  // the very first evaluation failed
      x = best;  // back off: restart from the best point with a plain damped step
      stored = head = 0;
      G(x, w.g);
      ++s.evaluations;
      w.f = w.g - x;
      x += mix * 0.5 * w.f;
      continue;
    }
    best_rel = std::min(best_rel, rel);
    if (res < best_res) {  // the iterate handed back on failure: smallest absolute residual
      best_res = res;
      best = x;
    }
    if (rel <= o.tolerance) {
      s.residual = res;
      return true;
    }
    if (rel > 10.0 * best_rel) stored = head = 0;  // acceleration went astray: forget the history
    if (k > 0 && m > 0) {
      w.dX.col(head) = x - w.x_prev;
      w.dF.col(head) = w.f - w.f_prev;
      head = (head + 1) % m;
      stored = std::min(stored + 1, m);
    }
    w.x_prev = x;
    w.f_prev = w.f;
    last_rel = rel;
    plain = x + mix * w.f;
    accelerated = stored > 0;
    if (!accelerated) {
      x = plain;
      continue;
    }
    // Least squares in the same relative units as the stopping rule, so that a large order
    // parameter does not drown the others.
    weight = (1.0 / x.cwiseAbs().cwiseMax(1.0).array()).matrix();
    w.qr.compute(weight.asDiagonal() * w.dF.leftCols(stored));
    const Eigen::VectorXd gamma = w.qr.solve(weight.asDiagonal() * w.f);
    x = plain - (w.dX.leftCols(stored) + mix * w.dF.leftCols(stored)) * gamma;
    for (int halving = 0; admissible && !admissible(x); ++halving) {
      if (halving == 30) {
        x = plain;
        stored = head = 0;
        accelerated = false;
        break;
      }
      x = 0.5 * (x + plain);
    }
  }
  s.residual = best_res;
  return false;
}

struct GslContext {
  const FixedPointMap* G;
  Eigen::VectorXd x, g;
  int evaluations = 0;
};

int gsl_residual(const gsl_vector* in, void* params, gsl_vector* out) {
  auto* c = static_cast<GslContext*>(params);
  for (Eigen::Index i = 0; i < c->x.size(); ++i) c->x[i] = gsl_vector_get(in, static_cast<size_t>(i));
  (*c->G)(c->x, c->g);
  ++c->evaluations;
  for (Eigen::Index i = 0; i < c->x.size(); ++i) {
    const double r = c->g[i] - c->x[i];
    if (!std::isfinite(r)) return GSL_EBADFUNC;
    gsl_vector_set(out, static_cast<size_t>(i), r);
  }
  return GSL_SUCCESS;
}

bool hybrid_newton(const FixedPointMap& G, Eigen::VectorXd& x, const SolverOptions& o, Summary& s) {
  const size_t n = static_cast<size_t>(x.size());
  GslContext ctx{&G, x, Eigen::VectorXd(x.size())};
  gsl_multiroot_function fn{&gsl_residual, n, &ctx};
  std::unique_ptr<gsl_vector, decltype(&gsl_vector_free)> x0(gsl_vector_alloc(n), gsl_vector_free);
  for (size_t i = 0; i < n; ++i) gsl_vector_set(x0.get(), i, x[static_cast<Eigen::Index>(i)]);
  std::unique_ptr<gsl_multiroot_fsolver, decltype(&gsl_multiroot_fsolver_free)> solver(
      gsl_multiroot_fsolver_alloc(gsl_multiroot_fsolver_hybrids, n), gsl_multiroot_fsolver_free);
  gsl_error_handler_t* old = gsl_set_error_handler_off();
  bool ok = gsl_multiroot_fsolver_set(solver.get(), &fn, x0.get()) == GSL_SUCCESS;
  int status = GSL_CONTINUE;
  for (int k = 0; ok && status == GSL_CONTINUE && k < o.max_iterations && !interrupted(); ++k) {
    ++s.iterations;
    if (gsl_multiroot_fsolver_iterate(solver.get()) != GSL_SUCCESS) break;
    Eigen::Map<const Eigen::VectorXd> xr(solver->x->data, x.size());
    status = gsl_multiroot_test_residual(solver->f, o.tolerance * scale_of(xr));
  }
  gsl_set_error_handler(old);
  throw_if_interrupted();  // after restoring GSL's handler, never through it
  s.evaluations += ctx.evaluations;
  if (status != GSL_SUCCESS) return false;
  for (size_t i = 0; i < n; ++i) x[static_cast<Eigen::Index>(i)] = gsl_vector_get(solver->x, i);
  Eigen::VectorXd g(x.size());
  G(x, g);
  ++s.evaluations;
  s.residual = (g - x).cwiseAbs().maxCoeff();
  return std::isfinite(s.residual);
}

}  // namespace

Summary solve_fixed_point(const FixedPointMap& G, Eigen::VectorXd& x, const SolverOptions& options,
                          const Admissible& admissible) {
  const auto start = Clock::now();
  Summary s;
  s.method = options.anderson_memory > 0 ? "anderson(" + std::to_string(options.anderson_memory) + ")"
                                         : "damped";
  Eigen::VectorXd best;
  double best_res = 0.0;
  if (anderson(G, x, options, admissible, s, best, best_res)) {
    s.converged = true;
    s.reason = Termination::kConverged;
  } else {
    s.reason = std::isfinite(best_res) ? Termination::kMaxIterations : Termination::kNonFinite;
    x = best;
    if (options.multiroot_fallback && std::isfinite(best_res)) {
      Eigen::VectorXd trial = best;
      Summary fallback;
      if (hybrid_newton(G, trial, options, fallback) && (!admissible || admissible(trial))) {
        x = trial;
        s.converged = true;
        s.reason = Termination::kConverged;
        s.residual = fallback.residual;
        s.method += "+gsl-hybrids";
      } else {
        s.method += "+gsl-hybrids(failed)";
      }
      s.iterations += fallback.iterations;
      s.evaluations += fallback.evaluations;
    }
    if (!s.converged) {
      s.residual = best_res;
      s.message = "no fixed point within " + std::to_string(options.max_iterations) +
                  " iterations; best residual kept";
    }
  }
  s.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return s;
}

}  // namespace rmtsolve
