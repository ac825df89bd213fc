#pragma once
#include <Eigen/Dense>
#include <random>

#include "kernels.hpp"

namespace rmtsolve::kernels {

/// The kernels of one drawn finite network of `arch`, every hidden layer `width` units wide, one
/// output (the Monte Carlo side of the kernel engine):
///  * empirical NNGP: the covariance of the output given the hidden layers,
///    W_std² (1/m) Σ_i φ_i(x) φ_i(x') + b_std², i.e. the last hidden layer's mean post-activation
///    product seen through the readout;
///  * empirical NTK: Σ_p η_p ∂f(x)/∂θ_p ∂f(x')/∂θ_p over every weight and bias, by backprop: per
///    layer ((A Aᵀ)·s_W + s_b) ∘ (Δ Δᵀ), with A the layer's inputs and Δ = ∂f/∂z its back-propagated
///    errors (φ' a.e., 0 on flat pieces).
/// Weights are drawn as in `arch.parametrisation` (neural-tangents conventions, kernels.hpp); in
/// the standard parametrisation the actual widths are the fan-ins (Dense::fan_in is ignored).
/// Their expectation tends to nngp_ntk(arch) as width → ∞, with O(1/√width) fluctuations and an
/// O(1/width) bias.
struct EmpiricalKernels {
  Eigen::MatrixXd nngp, ntk;  // n1 × n2
};
EmpiricalKernels empirical_kernels(const Architecture& arch, int width, const Eigen::MatrixXd& X1,
                                   const Eigen::MatrixXd& X2, std::mt19937_64& rng);

}  // namespace rmtsolve::kernels
