#pragma once
#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

#include "dual_activation.hpp"

namespace rmtsolve::kernels {

/// Infinite-width NNGP and NTK of fully-connected networks, with neural-tangents' conventions
/// (docs/theory/dynamics.md §3.2; `stax/linear.py` Dense, `stax/elementwise.py`).  README.md beside this file.
enum class Parametrisation {
  kNtk,       // z = (W_std/√n_in) W a + b_std b, W, b standard Gaussian
  kStandard,  // z = W a + b, W ~ N(0, W_std²/n_in), b ~ N(0, b_std²)
};
/// "ntk" or "standard"; InvalidInput naming `parameter` otherwise.
Parametrisation parse_parametrisation(const std::string& text, const std::string& parameter = "parametrisation");

/// One dense layer.  The NTK includes per-parameter learning rates, Θ = Σ_p η_p ∂f/∂θ_p ∂f/∂θ_p
/// (docs/theory/dynamics.md notation); neural-tangents is weight_lr = bias_lr = 1, and its b_std = None is
/// b_std = 0 with bias_lr = 0 (no bias; this only matters in the standard parametrisation).
struct Dense {
  double W_std = 1.0;
  double b_std = 0.0;
  /// Standard parametrisation only: n_in, the width of this layer's input (Θ gains n_in·Σ_in).
  /// 0 for the first layer means the input dimension d (the number of columns of X).
  double fan_in = 0.0;
  double weight_lr = 1.0;
  double bias_lr = 1.0;
};

struct HiddenLayer {
  Dense dense;
  DualActivation activation;
};

/// Dense → φ → … → Dense → φ → readout Dense (one output).  `hidden.size()` is the depth L.
struct Architecture {
  std::vector<HiddenLayer> hidden;
  Dense readout;
  Parametrisation parametrisation = Parametrisation::kNtk;

  /// L hidden layers of the same φ, W_std and b_std (the readout too).  In the standard
  /// parametrisation `width` is the fan-in of every layer after the first.
  static Architecture fully_connected(const DualActivation& phi, int depth, double W_std, double b_std,
                                      Parametrisation p = Parametrisation::kNtk, double width = 0.0);
  /// InvalidInput for a negative or non-finite standard deviation or rate, or a missing fan-in.
  void validate(bool input_dim_known) const;
};

/// NNGP K and NTK Θ between the rows of X1 and X2, and at each row with itself.
struct KernelPair {
  Eigen::MatrixXd nngp, ntk;        // n1 × n2
  Eigen::VectorXd nngp_diag1, ntk_diag1;  // K(x, x), Θ(x, x) for the rows of X1
  Eigen::VectorXd nngp_diag2, ntk_diag2;  // the same for X2
};

/// Input Σ = x·x'/d, Θ = 0; dense Σ ← W_std²Σ + b_std², Θ ← η_W W_std² Σ + η_b b_std² + W_std²Θ
/// (standard: Θ ← η_W n_in Σ + η_b + W_std²Θ); activation Σ ← V, Θ ← V̇ Θ.  Elementwise per pair;
/// the dense steps are array expressions over the whole n1 × n2 block.
KernelPair nngp_ntk(const Architecture& arch, const Eigen::MatrixXd& X1, const Eigen::MatrixXd& X2);
KernelPair nngp_ntk(const Architecture& arch, const Eigen::MatrixXd& X);

/// El Karoui (2010) linearisation of an inner-product kernel k(x·x'/d) on |x|²/d = 1 in the
/// proportional regime n ∝ d:  K(X, X) ≈ κ0 11ᵀ + κ1 XXᵀ/d + κ* I in operator norm, with
/// κ0 = k(0), κ1 = k'(0), κ* = k(1) − k(0) − k'(0) (the 11ᵀ coefficient also moves by k''(0)/(2d),
/// an O(1) shift of one eigenvalue; README.md).
struct ProportionalConstants {
  double kappa0 = 0.0, kappa1 = 0.0, kappa_star = 0.0;
};

struct DotProductValues {
  double nngp = 0.0, ntk = 0.0;              // k(ρ)
  double nngp_deriv = 0.0, ntk_deriv = 0.0;  // dk/dρ (+∞ where a kinked φ makes it diverge)
};

/// The kernels of `arch` between two inputs with |x|²/d = |x'|²/d = 1 as functions of
/// ρ = x·x'/d ∈ [−1, 1].  In the standard parametrisation the first layer's fan_in must be set.
class DotProductKernel {
 public:
  explicit DotProductKernel(Architecture arch);
  DotProductValues at(double rho) const;
  ProportionalConstants nngp_constants() const;
  ProportionalConstants ntk_constants() const;
  const Architecture& architecture() const { return arch_; }

 private:
  Architecture arch_;
};

}  // namespace rmtsolve::kernels

namespace rmtsolve {
class Model;
namespace kernels {
/// The model as the CLI, sweeps and validation see it (name "kernel"): NNGP and NTK of a deep
/// fully-connected network at two inputs of cosine ρ, and the empirical kernels of drawn networks.
std::unique_ptr<Model> make_model();
}  // namespace kernels
}  // namespace rmtsolve
