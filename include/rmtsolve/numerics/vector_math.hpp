#pragma once

namespace rmtsolve {

/// tanh over a buffer, in place, through glibc's vector math library (libmvec: its AVX-512 or AVX2
/// tanh, chosen at run time from cpuid, ≤ 4 ulp) when this CPU and C library have one; otherwise
/// Eigen's vectorised exp, tanh x = 1 − 2/(e^{2x} + 1).  The Monte Carlo's activation pass: the
/// portable build's Eigen works two doubles at a time, libmvec's AVX-512 tanh eight.  Every entry
/// goes through the same routine whatever its position (the tail is padded to a full vector), so
/// a matrix cut into blocks gives the same numbers as in one piece.
void tanh_inplace(double* data, long size);

/// Which routine tanh_inplace uses here: "libmvec-avx512", "libmvec-avx2" or "eigen".
const char* tanh_inplace_kind();

}  // namespace rmtsolve
