#pragma once
#include <Eigen/Dense>
#include <string>

namespace rmtsolve {

/// Reads a user-supplied matrix (a covariance, a spectrum, ...) from `path`.
///
/// Format by content, then by name: a file starting with the NumPy magic is read as .npy; a file
/// named *.npy must be one.  Anything else is text.
///  - .npy, format versions 1.0/2.0/3.0, little-endian or byte-sized dtypes f8, f4, i8, i4, i2, i1,
///    u8, u4, u2, u1, b1; C or Fortran order.  A 1-D array becomes an n×1 column vector, a 2-D
///    array an r×c matrix; 0-D, ≥3-D, big-endian, structured and zero-size arrays are rejected.
///  - text (.csv, .txt, .dat, ...): one row per line, values separated by commas and/or
///    whitespace; blank lines and '#' comments are skipped, and the first content line may be a
///    header if none of its fields is a number.  A single line is a 1×c row.
/// Values must be finite.  Every failure throws InvalidInput(parameter, ...) whose one-line
/// message names `path` and the reason (with line/column or index where it applies).
Eigen::MatrixXd read_matrix(const std::string& path, const std::string& parameter);

/// Writes `m` as a version-1.0 .npy file, dtype '<f8', C order, shape (rows, cols) — readable by
/// numpy.load and by read_matrix.  Throws InvalidInput("write_npy", ...) if the file cannot be
/// written; a partially written file is removed.
void write_npy(const std::string& path, const Eigen::MatrixXd& m);

}  // namespace rmtsolve
