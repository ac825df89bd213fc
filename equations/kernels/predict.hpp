#pragma once
#include <Eigen/Dense>
#include <vector>

#include "kernels.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve::kernels {

/// Which parameters gradient descent trains (neural-tangents `predict.gradient_descent_mse_ensemble`):
/// all of them (the NTK governs the flow), or only the readout (the flow runs on the NNGP kernel).
enum class KernelMode { kNtk, kNngp };

/// The kernel blocks a prediction needs: d = training inputs, t = test inputs.  The NTK blocks are
/// used in NTK mode only.
struct KernelBlocks {
  Eigen::MatrixXd nngp_dd, nngp_td, nngp_tt;
  Eigen::MatrixXd ntk_dd, ntk_td;
};
KernelBlocks kernel_blocks(const Architecture& arch, const Eigen::MatrixXd& X_train, const Eigen::MatrixXd& X_test);

struct PredictionOptions {
  /// η: the flow runs in units of η·t, on the loss 1/(2 N_out) Σ |f − y|² with N_out = Y.size()
  /// (training points × outputs).
  double learning_rate = 1.0;
  /// Diagonal regulariser λ added to the train kernel, absolute or (neural-tangents' default)
  /// relative to the mean of its diagonal.
  double ridge = 0.0;
  bool ridge_relative = false;
  /// Eigenvalues of the (regularised) train kernel at or below cutoff·λ_max are treated as zero;
  /// at t = ∞ their directions are dropped (pseudo-inverse).  Negative ones are clipped to zero.
  double eigen_cutoff = 1e-12;
  bool covariance = true;  // also compute the test covariance (needs the NNGP blocks)
};

/// Mean (n_test × outputs) and covariance (n_test × n_test) of the infinite ensemble at each time,
/// with what the eigen-decomposition found.  `summary.converged` is false (and the numbers must not
/// be used) if the inputs are not finite or the train kernel is not positive semi-definite beyond
/// round-off.
struct Prediction {
  std::vector<double> times;
  std::vector<Eigen::MatrixXd> mean, covariance;
  double condition_number = 0.0;  // λ_max/λ_min of the regularised train kernel (∞ if singular)
  int clipped_eigenvalues = 0;    // at or below cutoff·λ_max (including negative round-off)
  double regulariser = 0.0;       // the absolute λ added to the diagonal
  double eta_max = 0.0;           // largest stable learning rate of discrete GD on this kernel
  Summary summary;
};

/// Gradient flow on the MSE from f_0 with mean 0 (docs/theory/dynamics.md §3.2 "Predictions"), with
/// G_t = K_td K_dd⁻¹ (I − e^{−η K_dd t/N_out}) (K the NTK in NTK mode, the NNGP in NNGP mode):
///   NTK mean G_t Y,  covariance K_tt + G_t K_dd G_tᵀ − G_t K_dt − K_td G_tᵀ  (K here the NNGP);
///   NNGP mean G_t Y,  covariance K_tt − K_td K_dd⁻¹ (I − e^{−2η K_dd t/N_out}) K_dt.
/// One SelfAdjointEigenSolver of the train kernel serves every time; t = +∞ is allowed.
Prediction predict_gd_mse(KernelMode mode, const KernelBlocks& k, const Eigen::MatrixXd& Y,
                          const std::vector<double>& times, const PredictionOptions& options = {});

/// t = ∞: Gaussian-process inference with ridge λ (NNGP mode: the GP posterior of the NNGP;
/// NTK mode: the infinite-time ensemble of NTK gradient descent).
Prediction predict_gp(KernelMode mode, const KernelBlocks& k, const Eigen::MatrixXd& Y,
                      const PredictionOptions& options = {});

/// η_max = 2 (1 + momentum) N_out / λ_max(Θ_dd): above it, discrete gradient descent on the MSE of
/// neural-tangents' normalisation diverges along the top eigenvector.
double max_learning_rate(const Eigen::MatrixXd& ntk_dd, Eigen::Index n_outputs_total, double momentum = 0.0);

}  // namespace rmtsolve::kernels
