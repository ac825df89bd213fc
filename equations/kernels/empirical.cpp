#include "empirical.hpp"

#include <cmath>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::kernels {
namespace {

// One dense layer as drawn: z = a Mᵀ + β with M = (W_std/√n_in)·G, β = b_std·g, G, g standard
// Gaussian.  Both parametrisations produce this forward map; they differ in which parameter the
// gradient is taken with respect to, i.e. in the factors (s_W, s_b) of the layer's NTK term.
struct DrawnLayer {
  Eigen::MatrixXd M;     // n_out × n_in
  Eigen::RowVectorXd bias;
  double s_W = 0.0, s_b = 0.0;
};

DrawnLayer draw(const Dense& l, Parametrisation p, Eigen::Index n_in, Eigen::Index n_out, std::mt19937_64& rng) {
  DrawnLayer layer;
  layer.M = mc::gaussian_matrix(n_out, n_in, rng, l.W_std / std::sqrt(static_cast<double>(n_in)));
  layer.bias = mc::gaussian_matrix(1, n_out, rng, 1.0).row(0) * l.b_std;
  const bool ntk = p == Parametrisation::kNtk;
  // NTK: ∂f/∂G = (W_std/√n_in) δ aᵀ, ∂f/∂g = b_std δ.  Standard: ∂f/∂W = δ aᵀ, ∂f/∂b = δ.
  layer.s_W = l.weight_lr * (ntk ? l.W_std * l.W_std / static_cast<double>(n_in) : 1.0);
  layer.s_b = l.bias_lr * (ntk ? l.b_std * l.b_std : 1.0);
  return layer;
}

Eigen::MatrixXd forward(const DrawnLayer& l, const Eigen::MatrixXd& A) {
  Eigen::MatrixXd Z = A * l.M.transpose();
  Z.rowwise() += l.bias;
  return Z;
}

// The layer's contribution to Σ_p η_p ∂f/∂θ_p ∂f/∂θ_p between all inputs.
Eigen::MatrixXd ntk_term(const DrawnLayer& l, const Eigen::MatrixXd& A, const Eigen::MatrixXd& Delta) {
  Eigen::MatrixXd inputs = l.s_W * (A * A.transpose());
  inputs.array() += l.s_b;
  return inputs.cwiseProduct(Delta * Delta.transpose());
}

}  // namespace

EmpiricalKernels empirical_kernels(const Architecture& arch, int width, const Eigen::MatrixXd& X1,
                                   const Eigen::MatrixXd& X2, std::mt19937_64& rng) {
  if (width < 1) throw InvalidInput("width", "must be at least 1");
  if (X1.cols() != X2.cols() || X1.cols() < 1) throw InvalidInput("X2", "inputs must have the same, positive dimension");
  arch.validate(true);
  Eigen::MatrixXd A(X1.rows() + X2.rows(), X1.cols());
  A << X1, X2;

  // Forward: keep every layer's input A_{l−1} and φ'(z_l) for the backward pass.
  std::vector<DrawnLayer> layers;
  std::vector<Eigen::MatrixXd> inputs, slopes;
  for (const HiddenLayer& h : arch.hidden) {
    throw_if_interrupted();  // each layer is a few width-sized GEMMs
    layers.push_back(draw(h.dense, arch.parametrisation, A.cols(), width, rng));
    const Activation& phi = h.activation.pointwise();
    Eigen::MatrixXd Z = forward(layers.back(), A);
    slopes.push_back(Z.unaryExpr([&phi](double z) { return phi.df(z); }));
    inputs.push_back(std::move(A));
    mc::apply_activation(phi, Z);
    A = std::move(Z);
  }
  const DrawnLayer readout = draw(arch.readout, arch.parametrisation, A.cols(), 1, rng);

  const Eigen::Index n1 = X1.rows(), n2 = X2.rows();
  Eigen::MatrixXd nngp = (arch.readout.W_std * arch.readout.W_std / static_cast<double>(A.cols())) * (A * A.transpose());
  nngp.array() += arch.readout.b_std * arch.readout.b_std;

  // Backward: Δ = ∂f/∂z of the current layer, starting from the output itself.
  Eigen::MatrixXd Delta = Eigen::MatrixXd::Ones(A.rows(), 1);
  Eigen::MatrixXd ntk = ntk_term(readout, A, Delta);
  const DrawnLayer* above = &readout;
  for (size_t l = layers.size(); l-- > 0;) {
    throw_if_interrupted();
    Delta = (Delta * above->M).cwiseProduct(slopes[l]);
    ntk += ntk_term(layers[l], inputs[l], Delta);
    above = &layers[l];
  }
  return {nngp.block(0, n1, n1, n2), ntk.block(0, n1, n1, n2)};
}

}  // namespace rmtsolve::kernels
