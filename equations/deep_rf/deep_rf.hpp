#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/montecarlo/weights.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve {
class Model;
}

namespace rmtsolve::deep_rf {

/// Ridge readout on a deep (random or structured) feature map (Schröder, Cui, Dmitriev, Loureiro,
/// arXiv:2302.00401; Schröder, Dmitriev, Cui, Loureiro, arXiv:2402.13999); symbols as in
/// README.md beside this file and docs/theory/deep.md.
///   h_0 = x ~ N(0, Σ),  h_l = σ_l(W_l h_{l−1}) ∈ ℝ^{k_l},  features h_L/√p, ridge (convention A, docs/theory/deep.md §1.3).
struct Layer {
  double width = 1.0;  // k_l/d
  Activation activation = make_activation("tanh");
  mc::WeightModel weights;
};

enum class Method {
  kChain,  // seed-free limit for i.i.d. Gaussian weights (docs/theory/deep.md §2.7)
  kDrawn,  // deterministic equivalent on one drawn set of weights at dimension d (§2.3–2.5)
};
enum class Linearisation {
  kOffsets,  // per-neuron means, slopes and variances (docs/theory/deep.md §2.3.3): exact for non-odd σ
  kPlain,    // one (κ0, κ1, κ*) per layer at the average variance, κ0² 11ᵀ for the mean
};

struct Spec {
  std::vector<Layer> layers;
  Activation target = make_activation("linear");  // link σ* of the teacher
  double teacher_width = 0.0;     // k*/d; 0: single-index teacher σ*(⟨θ, x⟩/√tr Σ)
  Eigen::VectorXd input_spectrum; // eigenvalues of a diagonal Σ; empty: Σ = I
  double alpha = 1.0;             // n/d
  double lambda = 1e-2;
  double noise = 0.0;             // Δ
  Method method = Method::kChain;
  int d = 400;                    // kDrawn: input dimension of the drawn network
  std::uint64_t seed = 1;         // kDrawn: weights' seed
  Linearisation linearisation = Linearisation::kOffsets;
};

/// What the teacher looks like to linearised features: y ≈ F1·z + (non-linear part, variance F*²)
/// + mean + noise, with z = ⟨θ, x⟩/√tr Σ.
struct TeacherMoments {
  double linear2 = 1.0, nonlinear2 = 0.0, mean2 = 0.0;
};
TeacherMoments teacher_moments(const Spec& spec);

struct LayerReport {
  double r = 0.0, kappa0 = 0.0, kappa1 = 0.0, kappa_star = 0.0;  // at the layer's average variance
};

struct Result {
  double test_error = 0.0, train_error = 0.0;
  double df1 = 0.0, df2 = 0.0;
  std::vector<LayerReport> layers;
  Summary summary;
};

/// A drawn network after its covariance recursion and one eigen-decomposition: reusable for any
/// (α, λ, Δ), which is what a sweep varies.
struct DrawnNetwork {
  Eigen::VectorXd omega, psi2;  // eigenvalues of Ω_f and squared target projections
  double signal = 0.0;          // E y² without label noise
  std::vector<LayerReport> layers;
};
DrawnNetwork draw_network(const Spec& spec);

/// Solves one point.  For Method::kDrawn, `network` (from draw_network with the same layers,
/// target, input and seed) skips the recursion and the eigen-decomposition.
Result solve(const Spec& spec, const SolverOptions& options, const DrawnNetwork* network = nullptr);

/// Builds the layer list from the CLI's comma lists ("2,1.5", "tanh,relu", "gaussian,file:C.npy");
/// a single activation or weight model applies to every layer.
std::vector<Layer> parse_layers(const std::string& widths, const std::string& activations, const std::string& weights);
/// The activations of `layers` layers from the CLI's list (one for all, or one per layer).
std::vector<Activation> parse_activations(const std::string& activations, size_t layers);

std::unique_ptr<Model> make_model();

}  // namespace rmtsolve::deep_rf
