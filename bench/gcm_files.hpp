// The covariance files of the GCM-from-files benchmarks (bench/gcm_bench.cpp, bench/gcm_files_deep_bench.cpp).
#pragma once
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::bench {

// Ω, Φ, Ψ of erf random features v = erf(W x) of a Gaussian input x ∈ R^d, teacher u = x (k = d),
// W with N(0, 1/d) entries, d = p/2, by the Gaussian equivalence of the features:
//   Ω = κ1² W Wᵀ + κ*² I,  Φ = E[u vᵀ] = κ1 Wᵀ,  Ψ = I,  κ1 = 2/√(3π), κ*² = (2/π) asin(2/3) − κ1².
// Written twice (copies a and b) so that alternating between them defeats the model's cache of
// the last loaded problem: every timed curve reads and decomposes its files.
inline std::string covariance_files(int p, const char* copy) {
  const auto root = std::filesystem::temp_directory_path() / ("rmtsolve_gcm_bench_" + std::to_string(::getpid()));
  const auto dir = root / ("p" + std::to_string(p) + copy);
  if (!std::filesystem::exists(dir / "psi.npy")) {
    std::filesystem::create_directories(dir);
    const int d = p / 2;
    std::mt19937_64 rng(1);
    const Eigen::MatrixXd W = mc::gaussian_matrix(p, d, rng, 1.0 / std::sqrt(double(d)));
    const double k1 = 2.0 / std::sqrt(3.0 * M_PI), ks2 = 2.0 / M_PI * std::asin(2.0 / 3.0) - k1 * k1;
    Eigen::MatrixXd Omega = k1 * k1 * W * W.transpose();
    Omega.diagonal().array() += ks2;
    write_npy((dir / "omega.npy").string(), Omega);
    write_npy((dir / "phi.npy").string(), k1 * W.transpose());
    write_npy((dir / "psi.npy").string(), Eigen::MatrixXd::Identity(d, d));
  }
  return dir.string();
}

}  // namespace rmtsolve::bench
