#include "rmtsolve/spectral.hpp"

#include <lapacke.h>

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

}  // namespace rmtsolve
