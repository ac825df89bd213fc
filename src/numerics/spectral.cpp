#include "rmtsolve/numerics/spectral.hpp"

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <lapacke.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace rmtsolve {

SymmetricEigen symmetric_eigen(const Eigen::MatrixXd& A, bool with_vectors) {
  if (A.rows() != A.cols()) throw std::invalid_argument("symmetric_eigen: matrix is not square");
  SymmetricEigen out;
  out.vectors = A;  // dsyevd overwrites its input with the eigenvectors
  out.values.resize(A.rows());
  const lapack_int n = static_cast<lapack_int>(A.rows());
  if (n == 0) return out;
  const lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, with_vectors ? 'V' : 'N', 'U', n,
                                         out.vectors.data(), n, out.values.data());
  if (info != 0) throw std::runtime_error("LAPACK dsyevd failed, info = " + std::to_string(info));
  if (!with_vectors) out.vectors.resize(0, 0);
  return out;
}

ProjectedSpectrum projected_spectrum(Eigen::MatrixXd A, const Eigen::MatrixXd& B, bool keep_projections) {
  if (A.rows() != A.cols() || B.cols() != A.rows()) throw std::invalid_argument("projected_spectrum: shapes do not match");
  const lapack_int n = static_cast<lapack_int>(A.rows()), k = static_cast<lapack_int>(B.rows());
  ProjectedSpectrum out;
  out.values.resize(n);
  out.weights = Eigen::VectorXd::Zero(n);
  if (n == 0) return out;
  Eigen::VectorXd offdiag(std::max<lapack_int>(n - 1, 1)), tau(std::max<lapack_int>(n - 1, 1));
  lapack_int info = LAPACKE_dsytrd(LAPACK_COL_MAJOR, 'L', n, A.data(), n, out.values.data(), offdiag.data(), tau.data());
  if (info != 0) throw std::runtime_error("LAPACK dsytrd failed, info = " + std::to_string(info));
  Eigen::MatrixXd BQ = B;
  if (k > 0) {
    info = LAPACKE_dormtr(LAPACK_COL_MAJOR, 'R', 'L', 'N', k, n, A.data(), n, tau.data(), BQ.data(), k);
    if (info != 0) throw std::runtime_error("LAPACK dormtr failed, info = " + std::to_string(info));
  }
  // The reflectors in A are spent once B is carried through them: the tridiagonal eigenvectors Z
  // overwrite them (one n × n matrix fewer, 8n² bytes of peak memory and their page faults).
  Eigen::MatrixXd& Z = A;
  info = LAPACKE_dstedc(LAPACK_COL_MAJOR, 'I', n, out.values.data(), offdiag.data(), Z.data(), n);
  if (info != 0) throw std::runtime_error("LAPACK dstedc failed, info = " + std::to_string(info));
  if (k == 0) return out;
  Eigen::MatrixXd projections = BQ * Z;
  out.weights = projections.colwise().squaredNorm().transpose();
  if (keep_projections) out.projections = std::move(projections);
  return out;
}

double MarchenkoPastur::stieltjes(double z) const {
  const double a = z - c * (1.0 - beta);
  const double disc = std::sqrt(a * a - 4.0 * beta * c * z);
  // g = (−a − disc)/(2βcz) = 2/(disc − a): the second form has no cancellation when a ≤ 0.
  return a <= 0.0 ? 2.0 / (disc - a) : -(a + disc) / (2.0 * beta * c * z);
}

double MarchenkoPastur::average(const std::function<double(double)>& F) const {
  const double a = c * std::pow(1.0 - std::sqrt(beta), 2), b = c * std::pow(1.0 + std::sqrt(beta), 2);
  const double half = 0.5 * (b - a), mid = 0.5 * (a + b);
  // Density √((b−D)(D−a))/(2πβcD) of the continuous part (mass min(1, 1/β)).
  auto integrand = [&](double theta) {
    const double D = mid + half * std::cos(theta), s = std::sin(theta);
    return D > 0.0 ? F(D) * half * half * s * s / (2.0 * M_PI * beta * c * D) : 0.0;
  };
  const double bulk = boost::math::quadrature::gauss_kronrod<double, 31>::integrate(integrand, 0.0, M_PI, 12, 1e-13);
  return bulk + (beta > 1.0 ? (1.0 - 1.0 / beta) * F(0.0) : 0.0);
}

double MarchenkoPastur::stieltjes_derivative(double z, double g) const {
  return -(beta * c * g * g + g) / (2.0 * beta * c * z * g + z - c * (1.0 - beta));
}

}  // namespace rmtsolve
