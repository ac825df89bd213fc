#pragma once
#include <string>

namespace rmtsolve {

/// Convex losses of a readout trained by Σ_μ ℓ(y_μ, ŷ_μ) + (λ/2)‖w‖² (for the square loss this is
/// the ridge Σ(y − ŷ)² + λ‖w‖² of the other models, up to the factor ½).
enum class Loss { kSquare, kLogistic, kHinge };

Loss parse_loss(const std::string& name);  // "square", "logistic", "hinge"; InvalidInput("loss") otherwise
const char* to_string(Loss loss);
double loss_value(Loss loss, double y, double z);  // ½(y−z)², log(1 + e^{−yz}), max(0, 1 − yz)

}  // namespace rmtsolve
