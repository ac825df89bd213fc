// tanh_inplace (the Monte Carlo's activation pass) against the scalar std::tanh, whichever routine
// this machine selects (libmvec's AVX-512/AVX2 tanh or Eigen's exp formula).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "rmtsolve/numerics/vector_math.hpp"

using rmtsolve::tanh_inplace;

TEST(VectorTanh, MatchesScalarTanh) {
  // Pre-activations of the Monte Carlo are O(1); the grid also covers the saturated ends and tiny
  // arguments.  Tolerances: libmvec documents ≤ 4 ulp for tanh, so 8 ulp relative; Eigen's
  // 1 − 2/(e^{2x} + 1) is exact to a few ulp of 1 in absolute terms only (near 0 it cancels), so
  // 4e-16·(1 + |tanh x|) there.  A wrong routine (another function, a shifted or unfilled entry)
  // misses by many orders.
  std::vector<double> x;
  for (int i = -2000; i <= 2000; ++i) x.push_back(i * 0.0113);
  for (double t : {1e-300, -1e-300, 1e-12, -3e-9, 25.0, -40.0, 400.0, -700.0}) x.push_back(t);
  std::vector<double> y = x;
  tanh_inplace(y.data(), static_cast<long>(y.size()));
  const double eps = std::numeric_limits<double>::epsilon();
  const bool eigen = std::string(rmtsolve::tanh_inplace_kind()) == "eigen";
  for (size_t i = 0; i < x.size(); ++i) {
    const double ref = std::tanh(x[i]);
    const double tol = eigen ? 4e-16 * (1 + std::abs(ref)) : 8 * eps * std::abs(ref);
    EXPECT_NEAR(y[i], ref, tol)
        << "tanh(" << x[i] << ") via " << rmtsolve::tanh_inplace_kind();
  }
}

TEST(VectorTanh, SameNumbersWhateverTheCut) {
  // The Monte Carlo applies σ chunk by chunk (chunks fixed by position, so that the thread count
  // cannot change the numbers); an entry must come out the same whether it sits in a full vector
  // or in a padded tail.  Compared exactly: the claim is bitwise.
  std::vector<double> x;
  for (int i = 0; i < 37; ++i) x.push_back(-2.0 + 0.11 * i);
  std::vector<double> whole = x;
  tanh_inplace(whole.data(), static_cast<long>(whole.size()));
  for (size_t cut : {1u, 3u, 5u, 8u, 13u}) {
    std::vector<double> pieces = x;
    for (size_t begin = 0; begin < pieces.size(); begin += cut)
      tanh_inplace(pieces.data() + begin, static_cast<long>(std::min(cut, pieces.size() - begin)));
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(pieces[i], whole[i]) << "cut " << cut << " entry " << i;
  }
}
