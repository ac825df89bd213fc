#pragma once
#include <Eigen/Dense>

namespace rmtsolve::srf_glm {

/// The hinge channel at one κ node: the readout's field ω = ŷ0 + sd·u (u ~ N(0,1)), student
/// variance V, and the label field with mean t0 + t1 u and standard deviation tsd given u, so that
/// P(y = ±1 | u) = Φ(±(t0 + t1 u)/tsd) (sign(t0) when tsd = 0) and ∂P/∂(mean of ξ) = ±ρ φ(·)/tsd.
struct HingeField {
  double V, sd, yhat0;
  double t0, t1, tsd;
  double rho;
};

/// (A, B, C, D) = E_u Σ_y of (P(1 − ∂z/∂ω)/V, P f², ∂P f, P f) for the hinge proximal point z,
/// f = (z − ω)/V, in closed form (README.md, "Hinge channel in closed form").
Eigen::Array4d hinge_moments(const HingeField& field);

/// (training loss, training squared error) = E_u Σ_y P (max(0, 1 − y z), (y − z)²), in closed form.
Eigen::Array2d hinge_training(const HingeField& field);

}  // namespace rmtsolve::srf_glm
