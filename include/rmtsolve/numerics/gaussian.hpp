#pragma once
#include <functional>
#include <vector>

#include "rmtsolve/numerics/activation.hpp"

namespace rmtsolve {

/// E f(m + s z), z ~ N(0,1), by double-exponential quadrature (Boost.Math exp_sinh / tanh_sinh)
/// split at the given kinks of f.  Gauss–Hermite is not used here: for kinked functions it
/// converges algebraically (docs/theory/srf.md §2.1: 160 nodes still err by 1e-4 for ReLU).
double gaussian_expectation(const std::function<double(double)>& f, double m, double s,
                            const std::vector<double>& kinks = {});

/// Moments of σ(m + s z): closed form when the activation has one, exact Gauss–Hermite for
/// polynomials, adaptive quadrature otherwise.
GaussianMoments gaussian_moments(const Activation& sigma, double m, double s);

/// The same moments by adaptive quadrature only (used to test the closed forms).
GaussianMoments gaussian_moments_by_quadrature(const Activation& sigma, double m, double s);

/// Linearisation of σ under a centred Gaussian pre-activation of variance r
/// (docs/theory/deep.md §2.1, docs/theory/srf.md §2.1):  σ(√r z) = κ0 + κ1 √r z + κ* ξ  in L²,  ξ ⊥ z.
struct Linearisation {
  double r = 1.0;
  double kappa0 = 0.0;      // E σ(√r z)
  double kappa1 = 0.0;      // E[z σ(√r z)]/√r = E σ'(√r z)
  double second = 0.0;      // E σ(√r z)²
  double kappa_star = 0.0;  // √(E σ² − κ0² − r κ1²), the non-linear remainder
};
Linearisation linearise(const Activation& sigma, double r);

/// Probabilists' Hermite coefficients c_k = E[σ(√r z) He_k(z)]/k!, k = 0..K,
/// so that σ(√r z) = Σ c_k He_k(z) in L²(N(0,1)).
std::vector<double> hermite_coefficients(const Activation& sigma, double r, int K);

}  // namespace rmtsolve
