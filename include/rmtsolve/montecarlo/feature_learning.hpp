#pragma once
#include <Eigen/Dense>
#include <limits>
#include <vector>

#include "rmtsolve/montecarlo/mlp.hpp"

namespace rmtsolve::mc {

/// Feature-learning diagnostics of docs/theory/dynamics.md §2.1 (Beaglehole, Mitliagkas & Agarwala, definitions
/// as in their `centered_NFA` code) and the kernel diagnostics of §1.2 (Kunin et al.).

/// ρ(A, B) of two equally shaped matrices, flattened: Pearson ⟨A − Ā, B − B̄⟩/(‖A − Ā‖ ‖B − B̄‖)
/// with Ā the mean of all entries, and cosine ⟨A, B⟩/(‖A‖ ‖B‖).  NaN where a norm is zero.
struct Correlation {
  double pearson = std::numeric_limits<double>::quiet_NaN();
  double cosine = std::numeric_limits<double>::quiet_NaN();
};
Correlation correlation(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B);

/// A^s of a symmetric positive semi-definite A by eigen-decomposition; eigenvalues below zero
/// (rounding) are clipped to 0.  s = 1 returns A unchanged.
Eigen::MatrixXd psd_power(const Eigen::MatrixXd& A, double s);

/// Layer ℓ's matrices on the inputs X (rows): NFM = W_ℓᵀW_ℓ, PTK K_ℓ = Σ_x ∇_{h_ℓ}f ∇_{h_ℓ}fᵀ
/// (backprop) and AGOP = (W_ℓᵀ K_ℓ W_ℓ)^power.
struct LayerMatrices {
  Eigen::MatrixXd nfm, ptk, agop;
};
LayerMatrices layer_matrices(const Mlp& net, const Eigen::MatrixXd& X, int layer, double power = 1.0);

/// Empirical NTK Gram with the learning rates (docs/theory/dynamics.md notation):
/// Θ(x, x') = Σ_ℓ η_ℓ ⟨∇_{W_ℓ}f(x), ∇_{W_ℓ}f(x')⟩ + η_a ⟨∇_a f(x), ∇_a f(x')⟩
///          = Σ_ℓ η_ℓ (J_ℓJ_ℓᵀ) ⊙ (Z_{ℓ−1}Z_{ℓ−1}ᵀ) + η_a κ² Z_L Z_Lᵀ.
/// `learning_rates` as MlpTrainer::learning_rates() (L + 1 values).
Eigen::MatrixXd empirical_ntk(const Mlp& net, const Eigen::MatrixXd& X, const std::vector<double>& learning_rates);

/// Kunin's kernel distance S(Θ0, Θt) = 1 − ⟨Θ0, Θt⟩_F/(‖Θ0‖_F ‖Θt‖_F).
double kernel_distance(const Eigen::MatrixXd& theta0, const Eigen::MatrixXd& theta);
/// Kernel–target alignment ⟨Θ, yyᵀ⟩_F/(‖Θ‖_F ‖yyᵀ‖_F) = yᵀΘy/(‖Θ‖_F ‖y‖²) (Cristianini et al. 2001).
double kernel_target_alignment(const Eigen::MatrixXd& theta, const Eigen::VectorXd& y);

struct LayerDiagnostics {
  Correlation nfa;   // ρ(W_ℓᵀW_ℓ, AGOP_ℓ^s)
  Correlation cnfa;  // ρ(ΔW_ℓᵀΔW_ℓ, (ΔW_ℓᵀ K_ℓ ΔW_ℓ)^s), ΔW_ℓ = W_ℓ − W_ℓ(0), K_ℓ at the current step; NaN at ΔW = 0
  double weight_change = std::numeric_limits<double>::quiet_NaN();  // ‖W_ℓ − W_ℓ(0)‖_F/‖W_ℓ‖_F
};

/// Everything measured at one checkpoint; matrices and kernels on the training set.
struct Diagnostics {
  long step = 0;
  double train_loss = std::numeric_limits<double>::quiet_NaN();  // ½·mean squared error
  double test_loss = std::numeric_limits<double>::quiet_NaN();   // NaN without a test set
  std::vector<LayerDiagnostics> layers;                           // ℓ = 1 … L
  double kernel_distance = std::numeric_limits<double>::quiet_NaN();   // S(Θ(0), Θ(t))
  double kernel_alignment = std::numeric_limits<double>::quiet_NaN();  // of Θ(t) with the labels
};

struct DiagnosticOptions {
  double power = 1.0;  // s in AGOP^s (1: the authors' code; 1/2 or 1/L elsewhere in the literature)
};

/// Measures a trainer's network against its own initialisation; holds Θ(0) so that each checkpoint
/// costs one forward/backward pass and the Gram products.
class FeatureLearningMonitor {
 public:
  /// Empty X_test: no test loss.  InvalidInput for power ≤ 0 or mismatched test data.
  FeatureLearningMonitor(const MlpTrainer& trainer, DiagnosticOptions options = {}, Eigen::MatrixXd X_test = {},
                         Eigen::VectorXd y_test = {});
  Diagnostics measure(const MlpTrainer& trainer) const;
  const Eigen::MatrixXd& initial_ntk() const { return ntk0_; }

 private:
  DiagnosticOptions options_;
  Eigen::MatrixXd X_test_;
  Eigen::VectorXd y_test_;
  Eigen::MatrixXd ntk0_;
};

/// Trains to each checkpoint in turn (non-decreasing, ≥ trainer.step()) and measures there.
std::vector<Diagnostics> train_with_checkpoints(MlpTrainer& trainer, const FeatureLearningMonitor& monitor,
                                                const std::vector<long>& steps);

// ---- early-time C-NFA, docs/theory/dynamics.md (2.1) -----------------------------------------------------------

/// ρ(Zᵀ R P R Z, (Zᵀ R P² R Z)^s) with R = diag(r): the C-NFA after one small GD step, whose update
/// is ΔW ∝ Jᵀ R Z, for a PTK Gram P = J Jᵀ on the training set (n × n).
Correlation early_cnfa(const Eigen::MatrixXd& Z, const Eigen::VectorXd& r, const Eigen::MatrixXd& P, double power = 1.0);
/// The same with P = J Jᵀ for the Jacobian J (n × k), without forming P.
Correlation early_cnfa_from_jacobian(const Eigen::MatrixXd& Z, const Eigen::VectorXd& r, const Eigen::MatrixXd& J,
                                     double power = 1.0);
/// P∞(x, x') = (π − θ_{xx'})/(2π), θ the angle between the rows: E[φ′(u)φ′(v)] for ReLU, the
/// degree-0 arc-cosine kernel, i.e. the first-layer PTK of a wide two-layer ReLU net up to a constant.
Eigen::MatrixXd arccos0_kernel(const Eigen::MatrixXd& X);

struct EarlyCnfaPrediction {
  Correlation finite;          // P = J Jᵀ of the network at initialisation, r = f0 − y
  Correlation infinite;        // P∞, r = f0 − y (first layer of a one-hidden-layer ReLU net; NaN otherwise)
  Correlation infinite_no_f0;  // P∞, r = −y: ignores the random initial output (NaN where P∞ is)
};
/// (2.1) for layer ℓ of `initial` on the training set (X, y).
EarlyCnfaPrediction predict_early_cnfa(const Mlp& initial, const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int layer,
                                       double power = 1.0);

}  // namespace rmtsolve::mc
