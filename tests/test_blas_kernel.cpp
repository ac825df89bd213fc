// Choosing the OpenBLAS kernel: the decision in every case, the numerical self-check, and the
// re-execution of the CLI as a user sees it (provenance, warnings, unchanged results).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli_run.hpp"
#include "rmtsolve/core/blas_kernel.hpp"

using namespace rmtsolve;
using rmtsolve_test::run_cli;

namespace {

blas::CpuFeatures cpu(bool avx, bool avx2, bool fma, bool avx512) { return {avx, avx2, fma, avx512}; }

TEST(BlasKernel, GenericFallbackOnAVX512SelectsSkylakeX) {
  const auto a = blas::advise("Prescott", cpu(true, true, true, true), false, false);
  EXPECT_EQ(a.recommended, "SkylakeX");
  EXPECT_NE(a.reason.find("AVX-512"), std::string::npos) << a.reason;
}

TEST(BlasKernel, FallbackSelectsTheBestFamilyTheCpuHas) {
  EXPECT_EQ(blas::advise("Prescott", cpu(true, true, true, false), false, false).recommended, "Haswell");
  EXPECT_EQ(blas::advise("Nehalem", cpu(true, true, true, false), false, false).recommended, "Haswell");
  EXPECT_EQ(blas::advise("Core2", cpu(true, false, false, false), false, false).recommended, "Sandybridge");
  EXPECT_EQ(blas::advise("Sandybridge", cpu(true, true, true, true), false, false).recommended, "SkylakeX");
  // AVX2 without FMA has no Haswell kernel: the AVX one.
  EXPECT_EQ(blas::advise("Prescott", cpu(true, true, false, false), false, false).recommended, "Sandybridge");
  // Names compare case-insensitively (OpenBLAS itself does).
  EXPECT_EQ(blas::advise("PRESCOTT", cpu(true, true, true, false), false, false).recommended, "Haswell");
}

TEST(BlasKernel, KeepsWhatIsAlreadyRightOrNotOursToChange) {
  // An SSE-only CPU: the generic kernel is the right one.
  EXPECT_TRUE(blas::advise("Prescott", cpu(false, false, false, false), false, false).recommended.empty());
  // OpenBLAS's per-vendor choice within the AVX2/AVX-512 families is kept.
  EXPECT_TRUE(blas::advise("Zen", cpu(true, true, true, true), false, false).recommended.empty());
  EXPECT_TRUE(blas::advise("Haswell", cpu(true, true, true, true), false, false).recommended.empty());
  EXPECT_TRUE(blas::advise("Cooperlake", cpu(true, true, true, true), false, false).recommended.empty());
  // Set by the user or the system, or opted out: never overridden.
  const auto set = blas::advise("Prescott", cpu(true, true, true, true), true, false);
  EXPECT_TRUE(set.recommended.empty());
  EXPECT_NE(set.reason.find("OPENBLAS_CORETYPE"), std::string::npos) << set.reason;
  const auto keep = blas::advise("Prescott", cpu(true, true, true, true), false, true);
  EXPECT_TRUE(keep.recommended.empty());
  EXPECT_NE(keep.reason.find("RMTSOLVE_BLAS_KERNEL=keep"), std::string::npos) << keep.reason;
  // A kernel name this table does not know (a newer OpenBLAS): left alone.
  EXPECT_TRUE(blas::advise("Zen7", cpu(true, true, true, true), false, false).recommended.empty());
}

TEST(BlasKernel, SelfCheckPassesWithTheKernelInUse) { EXPECT_TRUE(blas::self_check()); }

// What the selection should pick on this machine's CPU, as the CLI sees it.
std::string expected_selection() {
  return blas::advise("Prescott", blas::CpuFeatures::detect(), false, false).recommended;
}

nlohmann::json curve_json(const std::string& prefix) {
  const auto r = run_cli("curve rf --alpha 1.5 --beta 2 --lambda 1e-3 --format json", prefix);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(BlasKernel, CliRestartsWithTheSelectedKernelAndRecordsIt) {
  const std::string best = expected_selection();
  if (best.empty()) GTEST_SKIP() << "this CPU has no AVX: the generic kernel is the right one";
  // OpenBLAS's own choice is simulated as the generic fallback (this CPU may well be recognised).
  const auto j = curve_json("env -u OPENBLAS_CORETYPE RMTSOLVE_BLAS_ASSUME_KERNEL=Prescott");
  const std::string blas_line = j["metadata"]["blas"];
  EXPECT_NE(blas_line.find("selected by rmtsolve; OpenBLAS chose Prescott"), std::string::npos) << blas_line;
  EXPECT_NE(blas_line.find("kernel "), std::string::npos) << blas_line;
  // The same numbers as without the restart.
  const auto plain = curve_json("env -u OPENBLAS_CORETYPE RMTSOLVE_BLAS_KERNEL=keep");
  const double e1 = j["rows"][0]["test_error"], e0 = plain["rows"][0]["test_error"];
  EXPECT_NEAR(e1, e0, 1e-12 * std::abs(e0));
}

TEST(BlasKernel, CliNeverOverridesAnExplicitKernel) {
  const auto j = curve_json("RMTSOLVE_BLAS_ASSUME_KERNEL=Prescott OPENBLAS_CORETYPE=Prescott");
  const std::string blas_line = j["metadata"]["blas"];
  EXPECT_NE(blas_line.find("kernel Prescott"), std::string::npos) << blas_line;
  EXPECT_EQ(blas_line.find("selected by rmtsolve"), std::string::npos) << blas_line;
}

TEST(BlasKernel, FailedSelfCheckGoesBackToOpenBlasChoiceWithOneWarning) {
  if (expected_selection().empty()) GTEST_SKIP() << "no selection on a CPU without AVX";
  const auto r = run_cli("curve rf --alpha 1.5 --beta 2 --lambda 1e-3 --format json",
                         "env -u OPENBLAS_CORETYPE RMTSOLVE_BLAS_ASSUME_KERNEL=Prescott RMTSOLVE_BLAS_TEST=fail-check");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(rmtsolve_test::one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("failed rmtsolve's numerical self-check"), std::string::npos) << r.err;
  const std::string blas_line = nlohmann::json::parse(r.out)["metadata"]["blas"];
  EXPECT_NE(blas_line.find("kernel Prescott (rmtsolve's choice"), std::string::npos) << blas_line;
}

TEST(BlasKernel, ShorterIdleSpinKeepsTheEnvironmentAndThreadedProductsRight) {
  // limit_idle_spin restarts OpenBLAS's worker threads: threaded products must still be right
  // afterwards, and the setting must not leak into child processes through the environment.
  if (std::getenv("OPENBLAS_THREAD_TIMEOUT")) GTEST_SKIP() << "the environment sets OPENBLAS_THREAD_TIMEOUT";
  blas::limit_idle_spin();
  EXPECT_EQ(std::getenv("OPENBLAS_THREAD_TIMEOUT"), nullptr);
  // Large enough for OpenBLAS to split it over its threads; compared with Eigen's own product.
  const Eigen::MatrixXd A = Eigen::MatrixXd::Random(400, 300), B = Eigen::MatrixXd::Random(300, 500);
  for (int round = 0; round < 3; ++round) {
    const Eigen::MatrixXd C = A * B;
    const Eigen::MatrixXd C_ref = A.lazyProduct(B);
    // Sums of 300 products of size ≤ 1: rounding differences ~1e-15 relative to the norm.
    EXPECT_LE((C - C_ref).norm(), 1e-12 * C_ref.norm()) << "round " << round;
  }
  EXPECT_TRUE(blas::self_check());
}

}  // namespace
