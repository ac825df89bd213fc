#pragma once
#include <vector>
#include <map>
#include <optional>
#include <string>
#include <Eigen/Dense>
#include <random>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/numerics/spectral.hpp"

namespace rmtsolve::spiked {

/// The spiked random-features model a two-layer network maps to after one large gradient step
/// (Cui et al., arXiv:2402.04980; equations/srf/README.md): features σ(√c⟨w̄_i, x⟩ + rκ), target
/// direction at cosine γ with the spike.  Shared by the ridge (srf) and convex-loss (srf_glm) readouts.
struct Mapping {
  double r = 0.0;      // spike strength
  double c = 1.0;      // bulk variance
  double gamma = 0.0;  // cosine between spike and target direction
};

/// The step taken on labels y of a single-index teacher s = ⟨θ*, x⟩/√d: only E y, E[s y] and E y²
/// enter the map (equations/srf/README.md, "Network → spiked model").  `labels.slope` is E[s y].
/// α0 = 0 or η̃ = 0 gives plain random features (r = 0, c = 1, γ = 0).  `label_noise` is the part of
/// `labels.second` that the noise flag contributes: a step whose r or c exceeds 1e100 (σ saturated
/// at every node, or an overflow) is refused as InvalidInput naming the flag that made it so —
/// --noise or --alpha0 when the step without that excess would be usable, else --eta.
Mapping map_one_step(const Activation& sigma, const GaussianMoments& labels, double alpha0, double eta,
                     bool shrink_correction, double label_noise = 0.0);

/// The flag to blame when the trained features leave σ no linear component although the untrained
/// ones have one: the step made them so, through a dominating label noise, a tiny first batch, or
/// (otherwise) its size.  Returns "noise", "alpha0" or "eta".
std::string step_culprit(double label_noise, double label_second, double alpha0);

/// The ratios every one-step model shares, checked in one place (InvalidInput naming the flag):
/// α = n/d and β = p/d positive, α0 = n0/d and η̃ non-negative, all finite; the κ rule's points
/// per panel in 2..64 and panel width in [0, 8].
void validate_step(double alpha, double beta, double alpha0, double eta, int kappa_points, double kappa_width);

/// The quadrature rule over the spike projection κ ~ N(0,1) shared by srf and srf-class: composite
/// Gauss–Legendre with `points` per panel, panels of width h (`width`, or min(0.5, 0.65/r), at least 0.01, when 0)
/// over |κ| ≤ 4 + 2h and unit panels out to |κ| = 8, nodes ascending and exactly mirrored about 0.
/// Why not Gauss–Hermite: equations/srf_glm/README.md, Numerics.
struct KappaRule {
  Eigen::ArrayXd kappa, weight;
  std::vector<double> breaks;  // the panel ends, ascending, from −8 to 8
};
KappaRule kappa_rule(double r, int points = 8, double width = 0.0);

/// The student's conditional Gaussian-equivalence coefficients at the nodes of a Gauss–Hermite
/// rule in the spike projection κ: μ0(κ), μ1(κ) and μ*(κ)² (equations/srf/README.md).
struct StudentNodes {
  Eigen::ArrayXd weight, kappa, mu0, mu1, ms2;
};
StudentNodes student_nodes(const Activation& sigma, const Mapping& mapping, int nodes);
/// The same at given nodes and weights (any rule over κ ~ N(0,1), e.g. kappa_rule).
StudentNodes student_nodes(const Activation& sigma, const Mapping& mapping, const Eigen::ArrayXd& kappa,
                           const Eigen::ArrayXd& weight);

/// Moments of σ(m + s z) by a fixed composite Gauss–Legendre rule, for the built-in activations
/// without a closed form that are analytic off the imaginary axis (tanh, sigmoid, softplus, gelu):
/// near machine precision at ~300 evaluations of σ instead of the adaptive rule's thousands.
/// Empty for every other σ (closed forms, kinks, polynomials, user activations).
std::optional<GaussianMoments> panel_moments(const Activation& sigma, double m, double s);

/// The same coefficients at one κ (for adaptive quadrature over κ): mean μ0, slope μ1, and
/// `second` holding μ*² = E σ² − μ0² − c μ1².
GaussianMoments student_at(const Activation& sigma, const Mapping& mapping, double kappa);

/// One drawn W0 and spike (the "conditional on this W0" spectrum): eigenvalues D_k of Ω = WΠWᵀ and
/// the weights F_k = (p/d)(u_kᵀWv)², H_k = (p/d)(u_kᵀWζ)².
struct SampledSpectrum {
  Eigen::VectorXd D, F, H;
};
SampledSpectrum sample_spectrum(int d, int p, double c, std::mt19937_64& rng);

/// Averages over the spectrum of Ω with the spike (F) and orthogonal-target (H) weights at
/// S = λ + V̂1 D + V̂2: ⟨1/S⟩, ⟨D/S⟩, ⟨F/S⟩, ⟨H/S⟩, ⟨1/S²⟩, ⟨D/S²⟩, ⟨D²/S²⟩, ⟨F/S²⟩, ⟨DF/S²⟩,
/// ⟨H/S²⟩, ⟨DH/S²⟩.  Seed-free: Marchenko–Pastur c·MP(β) with F → βc, H → βD.
struct SpectralAverages {
  double S1, DS, FS, HS, S2, DS2, D2S2, FS2, DFS2, HS2, DHS2;
};
SpectralAverages seed_free_averages(const MarchenkoPastur& law, double Vhat1, double Vhat2, double lambda);
SpectralAverages sampled_averages(const SampledSpectrum& s, double Vhat1, double Vhat2, double lambda);

/// The ℓ2-penalty half of the state evolution, shared by every readout loss: from the conjugates
/// (V̂1, V̂2, q̂1, q̂2, τ̂, ψ̂) to (V1, V2, q1, q2, τ, ψ) through the averages above.
struct PriorOverlaps {
  double V1, V2, q1, q2, tau, psi;
};
PriorOverlaps l2_prior(const SpectralAverages& a, double qhat1, double qhat2, double tau_hat, double psi_hat);

/// Meaning of the outputs srf and srf-class share (the mapping r, c, γ and the readout overlaps),
/// for their Model::output_help.
std::map<std::string, std::string> output_help();

/// The text parameters srf and srf-class share, read where every command reads a point (so that
/// `curve` refuses a misspelt value as `simulate` does): --network real|spiked (true: real) and
/// --correction shrink|none (true: shrink).  InvalidInput naming the flag otherwise.
bool is_real_network(const std::string& network);
bool is_shrink_correction(const std::string& correction);

}  // namespace rmtsolve::spiked
