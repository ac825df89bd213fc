// Hostile inputs against the rmtsolve binary (issue 13): output paths, solver and verdict option
// ranges, crashes, size limits.  Every refusal is one line on stderr naming the flag, exit code 2,
// before any work; every accepted write leaves exactly the table and nothing else.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_run.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/engine/options.hpp"
#include "rmtsolve/io/output_file.hpp"

namespace fs = std::filesystem;
using rmtsolve_test::CliRun;
using rmtsolve_test::data_lines;
using rmtsolve_test::one_line;
using rmtsolve_test::run_cli;
using rmtsolve_test::slurp;

namespace {

// A fresh empty directory per test (CTest runs tests in parallel processes).
fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("rmtsolve_hostile_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

const char* kSmallCurve = "curve rf --alpha 1:2:3";

}  // namespace

// ---- Class 1: the output path ------------------------------------------------------------------

TEST(HostileOutput, FifoIsWrittenIntoNotReplaced) {
  const fs::path dir = scratch("fifo");
  const std::string fifo = (dir / "pipe").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A non-blocking reader holds the FIFO open, so the writer's open succeeds at once; the small
  // table fits the pipe buffer and is read after the run.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  const CliRun r = run_cli(std::string(kSmallCurve) + " --output " + fifo);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(reader, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(reader);
  EXPECT_EQ(r.code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced by a regular file";
  EXPECT_EQ(data_lines(got), 3) << got;
  EXPECT_EQ(entries(dir), std::vector<std::string>{"pipe"});
  fs::remove_all(dir);
}

TEST(HostileOutput, StdoutAliasesGoToStdout) {
  for (const char* alias : {"/dev/fd/1", "/proc/self/fd/1", "-"}) {
    const CliRun r = run_cli(std::string(kSmallCurve) + " --output " + alias);
    EXPECT_EQ(r.code, 0) << alias << ": " << r.err;
    EXPECT_EQ(data_lines(r.out), 3) << alias;
  }
}

TEST(HostileOutput, SymlinkTargetIsReplacedNotTheLink) {
  const fs::path dir = scratch("symlink");
  const fs::path real = dir / "real.csv", link = dir / "link.csv", chain = dir / "chain.csv";
  std::ofstream(real) << "old\n";
  fs::create_symlink("real.csv", link);  // relative, resolved against the link's directory
  fs::create_symlink(link, chain);       // and a link to the link
  const CliRun r = run_cli(std::string(kSmallCurve) + " --output " + chain.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(chain)));
  EXPECT_EQ(data_lines(slurp(real.string())), 3);
  EXPECT_EQ(entries(dir), (std::vector<std::string>{"chain.csv", "link.csv", "real.csv"}));
  // A dangling link: the file is created where it points.
  fs::remove(real);
  const CliRun d = run_cli(std::string(kSmallCurve) + " --output " + link.string());
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  EXPECT_EQ(data_lines(slurp(real.string())), 3);
  fs::remove_all(dir);
}

TEST(HostileOutput, TemporaryNameIsUniqueNotFileDotTmp) {
  // Something already at FILE.tmp (another writer's temporary, or a directory) must not matter.
  const fs::path dir = scratch("unique");
  const fs::path out = dir / "out.csv";
  fs::create_directories(dir / "out.csv.tmp");
  const CliRun r = run_cli(std::string(kSmallCurve) + " --output " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(data_lines(slurp(out.string())), 3);
  EXPECT_EQ(entries(dir), (std::vector<std::string>{"out.csv", "out.csv.tmp"}));
  fs::remove_all(dir);
}

TEST(HostileOutput, ConcurrentWritersBothSucceed) {
  const fs::path dir = scratch("concurrent");
  const fs::path out = dir / "out.csv";
  const std::string cmd = std::string(RMTSOLVE_CLI) + " curve rf --alpha 0.5:2:40 --output " + out.string();
  const int status = std::system(("(" + cmd + " & " + cmd + " & wait %1 && wait %2) 2>&1").c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(data_lines(slurp(out.string())), 40);
  EXPECT_EQ(entries(dir), std::vector<std::string>{"out.csv"});
  fs::remove_all(dir);
}

TEST(HostileOutput, FailedWriteLeavesNoTemporaryAndKeepsTheTable) {
  // A file-size limit makes the write fail half way (EFBIG), after the temporary exists.
  const fs::path dir = scratch("efbig");
  const fs::path out = dir / "out.csv";
  const std::string code = (dir / "code").string(), err = (dir / "err").string(), got = (dir / "stdout").string();
  // The limited shell runs the binary; stdout goes through a pipe to an unlimited `cat`.
  ASSERT_EQ(std::system(("sh -c 'ulimit -f 1; trap \"\" XFSZ; " + std::string(RMTSOLVE_CLI) +
                         " curve rf --alpha 0.5:2:40 --output " + out.string() + " 2>" + err + "; echo $? >" + code +
                         "' | cat > " + got)
                            .c_str()),
            0);
  EXPECT_EQ(slurp(code), "2\n");
  const std::string message = slurp(err);
  EXPECT_TRUE(one_line(message)) << message;
  EXPECT_NE(message.find("--output"), std::string::npos) << message;
  // Nothing but the diagnostics: no temporary, no partial table.
  EXPECT_EQ(entries(dir), (std::vector<std::string>{"code", "err", "stdout"}));
  // The table is not lost: it went to stdout (a pipe, not limited in size).
  EXPECT_EQ(data_lines(slurp(got)), 40);
  fs::remove_all(dir);
}

TEST(HostileOutput, BadPathIsRefusedBeforeAnyWork) {
  const fs::path dir = scratch("upfront");
  const std::pair<std::string, std::string> cases[] = {
      {"/nonexistent_rmtsolve_dir/out.csv", "/nonexistent_rmtsolve_dir"},
      {dir.string(), "is a directory"},
      {(dir / "file.csv" / "x.csv").string(), "not a directory"},
      {dir.string() + "/", "is a directory"},
  };
  std::ofstream(dir / "file.csv") << "x\n";
  for (const auto& [path, reason] : cases) {
    // The progress log shows whether any seed ran before the refusal.
    const CliRun r = run_cli("simulate rf --alpha 0.5,1 --d 150 --seeds 2 --threads 1 --output " + path,
                             "RMTSOLVE_PROGRESS=lines");
    EXPECT_EQ(r.code, 2) << path;
    EXPECT_TRUE(one_line(r.err)) << path << ": " << r.err;
    EXPECT_EQ(r.err.rfind("rmtsolve: error: --output", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
  }
  EXPECT_EQ(entries(dir), std::vector<std::string>{"file.csv"});  // no DIR.tmp, nothing else
  fs::remove_all(dir);
}

TEST(HostileOutput, CheckOutputPathIsReusable) {
  // The function plot writers call before computing.
  const fs::path dir = scratch("api");
  EXPECT_NO_THROW(rmtsolve::check_output_path((dir / "new.svg").string(), "plot"));
  EXPECT_NO_THROW(rmtsolve::check_output_path("", "plot"));
  try {
    rmtsolve::check_output_path((dir / "missing" / "x.svg").string(), "plot");
    ADD_FAILURE() << "a path in a missing directory was accepted";
  } catch (const rmtsolve::InvalidInput& e) {
    EXPECT_EQ(e.parameter(), "plot");
  }
  EXPECT_THROW(rmtsolve::check_output_path(dir.string(), "plot"), rmtsolve::InvalidInput);
  fs::remove_all(dir);
}

TEST(HostileOutput, NewFileGetsUmaskPermissions) {
  // mkstemp creates 0600; the table must be as readable as a plain write would make it.
  const fs::path dir = scratch("mode");
  const fs::path out = dir / "out.csv";
  const CliRun r = run_cli(std::string(kSmallCurve) + " --output " + out.string(), "umask 022;");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_EQ(run_cli(std::string(kSmallCurve) + " --output " + out.string()).code, 0);
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  fs::remove_all(dir);
}

// ---- Class 3: solver and verdict options -------------------------------------------------------

TEST(HostileOptions, SolverAndVerdictRangesOnTheCommandLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"curve rf --tolerance inf", "--tolerance"},
      {"curve rf --tolerance 1e300", "--tolerance"},
      {"curve rf --tolerance 1", "--tolerance"},
      {"curve rf --tolerance 0", "--tolerance"},
      {"curve rf --tolerance nan", "--tolerance"},
      {"curve rf --damping 1", "--damping"},
      {"curve rf --damping nan", "--damping"},
      {"curve rf --damping -3", "--damping"},
      {"curve rf --anderson -1", "--anderson"},
      {"curve rf --anderson 100000", "--anderson"},
      {"curve rf --max-iterations 0", "--max-iterations"},
      {"curve rf --max-iterations 2000000000", "--max-iterations"},
      {"validate rf --d 50 --seeds 2 --rel-tol -1", "--rel-tol"},
      {"validate rf --d 50 --seeds 2 --rel-tol nan", "--rel-tol"},
      {"validate rf --d 50 --seeds 2 --rel-tol inf", "--rel-tol"},
      {"validate rf --d 50 --seeds 2 --k-sigma inf", "--k-sigma"},
      {"validate rf --d 50 --seeds 2 --k-sigma -1", "--k-sigma"},
      {"validate rf --d 50 --seeds 2 --k-sigma nan", "--k-sigma"},
      {"simulate rf --d 2000000", "--d"},
      {"simulate rf --seeds 1000000", "--seeds"},
      {"simulate rf --threads 100000", "--threads"},
  };
  for (const auto& [args, flag] : cases) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.out << r.err;
    EXPECT_TRUE(one_line(r.err)) << args << ": '" << r.err << "'";
    EXPECT_NE(r.err.find(flag), std::string::npos) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
  // The edges of the ranges are accepted.
  EXPECT_EQ(run_cli("curve rf --alpha 2 --tolerance 0.1 --damping 0 --anderson 0").code, 0);
}

TEST(HostileOptions, ConfigFileIsHeldToTheSameRanges) {
  const fs::path dir = scratch("config");
  const std::string config = (dir / "c.json").string();
  std::ofstream(config) << R"({"tolerance": 1e300})";
  const CliRun r = run_cli("curve rf --config " + config);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--tolerance"), std::string::npos) << r.err;
  std::ofstream(config) << R"({"max-iterations": 0})";
  EXPECT_EQ(run_cli("curve rf --config " + config).code, 2);
  const std::string suite = (dir / "s.json").string();
  std::ofstream(suite) << R"({"model": "rf", "tolerance": {"rel_tol": -1}, "runs": [{"alpha": "1"}]})";
  const CliRun s = run_cli("validate " + suite);
  EXPECT_EQ(s.code, 2);
  EXPECT_NE(s.err.find("rel_tol"), std::string::npos) << s.err;
  std::ofstream(suite) << R"({"model": "rf", "tolerance": {"k_sigma": 1e308}, "runs": [{"alpha": "1"}]})";
  EXPECT_EQ(run_cli("validate " + suite).code, 2);
  // An override that is given is used or refused, never silently ignored.
  std::ofstream(suite) << R"({"model": "rf", "simulation": {"d": 60, "seeds": 2}, "runs": [{"alpha": "1"}]})";
  const CliRun o = run_cli("validate " + suite + " --d -5");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--d"), std::string::npos) << o.err;
  EXPECT_EQ(run_cli("validate " + suite + " --k-sigma -1").code, 2);
  fs::remove_all(dir);
}

TEST(HostileOptions, SharedChecksNameTheOption) {
  rmtsolve::SolverOptions s;
  s.tolerance = 0.5;
  try {
    rmtsolve::check_solver_options(s);
    ADD_FAILURE() << "tolerance 0.5 accepted";
  } catch (const rmtsolve::InvalidInput& e) {
    EXPECT_EQ(e.parameter(), "tolerance");
  }
  EXPECT_NO_THROW(rmtsolve::check_solver_options(rmtsolve::SolverOptions{}));
  EXPECT_NO_THROW(rmtsolve::check_verdict_options(rmtsolve::ValidationTolerance{}));  // rel_tol < 0: the model's
  EXPECT_THROW(rmtsolve::check_rel_tol(-1.0), rmtsolve::InvalidInput);
  EXPECT_THROW(rmtsolve::checked_int(1e6, 1, 1000, "depth"), rmtsolve::InvalidInput);
  EXPECT_THROW(rmtsolve::checked_int(2.5, 1, 1000, "depth"), rmtsolve::InvalidInput);
  EXPECT_EQ(rmtsolve::checked_int(7.0, 1, 1000, "depth"), 7);
}

// ---- Class 5: crashes --------------------------------------------------------------------------

TEST(HostileCrashes, DirectoriesWhereFilesAreExpected) {
  const fs::path dir = scratch("dirs");
  const fs::path suite_dir = dir / "suite.json";
  fs::create_directories(suite_dir);
  for (const std::string& args : {"curve rf --config " + dir.string(), "validate " + suite_dir.string()}) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.err;
    EXPECT_TRUE(one_line(r.err)) << r.err;
    EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
  }
  fs::remove_all(dir);
}

// ---- Class 9: silently accepted nonsense -------------------------------------------------------

TEST(HostileSizes, SuiteIntegersAreBoundedBeforeConversion) {
  const fs::path dir = scratch("suiteint");
  const std::string suite = (dir / "s.json").string();
  // 2^32 + 1 used to wrap to d = 1.
  std::ofstream(suite) << R"({"model": "rf", "simulation": {"d": 4294967297, "seeds": 2}, "runs": [{"alpha": "1"}]})";
  const CliRun r = run_cli("validate " + suite);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("simulation.d"), std::string::npos) << r.err;
  EXPECT_TRUE(one_line(r.err)) << r.err;
  fs::remove_all(dir);
}

// ---- Class 4: memory and size ------------------------------------------------------------------

TEST(HostileSizes, WholeNumberParametersAreBoundedBeforeConversion) {
  // --depth 1e6 used to convert to int with undefined behaviour ("1..-2147483648") or run for ever.
  const std::pair<std::string, std::string> cases[] = {
      {"curve kernel --depth 1e6", "--depth"},
      {"curve krr --depth 1e10", "--depth"},
      {"curve nfa --depth 1e12", "--depth"},
      {"curve nfa --width 1e12", "--width"},
      {"curve linear-dynamics --width 3e9", "--width"},
  };
  for (const auto& [args, flag] : cases) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.out << r.err;
    EXPECT_TRUE(one_line(r.err)) << args << ": '" << r.err << "'";
    EXPECT_EQ(r.err.rfind("rmtsolve: error: " + flag + ": must be at most", 0), 0u) << args << ": " << r.err;
  }
}

TEST(HostileSizes, MonteCarloMemoryIsEstimatedBeforeAllocating) {
  // d = 10^6 at the default ratios needs terabytes: refused at once, naming --d and the estimate,
  // instead of growing until the OOM killer ends the process with no message.
  const CliRun r = run_cli("simulate rf --d 1000000 --seeds 1");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_EQ(r.err.rfind("rmtsolve: error: --d: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("GB"), std::string::npos) << r.err;
  // A small machine emulated: d = 3000 needs about 0.4 GB per seed for rf (n = p = d, 4000 test rows).
  for (const char* model : {"rf", "srf", "deep"}) {
    const CliRun s = run_cli(std::string("simulate ") + model + " --d 3000 --seeds 1", "RMTSOLVE_MEMORY_LIMIT=100000000");
    EXPECT_EQ(s.code, 2) << model << ": " << s.err;
    EXPECT_NE(s.err.find("--d"), std::string::npos) << s.err;
    EXPECT_NE(s.err.find("model " + std::string(model)), std::string::npos) << s.err;
  }
  // ... and a run that fits goes ahead under the same cap.
  EXPECT_EQ(run_cli("simulate rf --alpha 1 --d 100 --seeds 2", "RMTSOLVE_MEMORY_LIMIT=100000000").code, 0);
}

// ---- Class 6: non-finite results ---------------------------------------------------------------

TEST(HostileResults, OverflowedMonteCarloIsNotAValidRow) {
  // A label-noise variance of 1e308 overflows the squared errors: the row is kept with empty
  // estimates, the point is reported, exit 3 — like a theory point that did not converge.
  const CliRun r = run_cli("simulate rf --alpha 1,2 --noise 1e308 --d 40 --seeds 2 --threads 1");
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_EQ(data_lines(r.out), 2);
  EXPECT_EQ(r.out.find("inf"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("non-finite Monte Carlo estimate"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find(",2,non_finite,"), std::string::npos) << r.out;  // the status column says so
}

TEST(HostileResults, OverflowedMonteCarloOfEveryModelIsFlagged) {
  // The same overflow through every other Monte Carlo path: a label noise of 1e308 (deep, krr), weights of standard deviation 1e308 (kernel: inf - inf = NaN, not a "not defined" NaN),
  // a student covariance of 1e300 I (gcm).  Each: exit 3, the row kept, status non_finite, no inf.
  const fs::path dir = scratch("overflow");
  rmtsolve::write_npy((dir / "omega.npy").string(), 1e300 * Eigen::MatrixXd::Identity(20, 20));
  rmtsolve::write_npy((dir / "eye.npy").string(), Eigen::MatrixXd::Identity(20, 20));
  const std::string eye = (dir / "eye.npy").string();
  for (const std::string& args :
       {std::string("simulate deep --noise 1e308"), std::string("simulate krr --noise 1e308"),
        std::string("simulate kernel --w_std 1e308"),
        "simulate gcm --omega " + (dir / "omega.npy").string() + " --phi " + eye + " --psi " + eye}) {
    const CliRun r = run_cli(args + " --d 40 --seeds 2 --threads 1");
    EXPECT_EQ(r.code, 3) << args << ": " << r.out << r.err;
    EXPECT_EQ(data_lines(r.out), 1) << args;
    EXPECT_NE(r.out.find(",2,non_finite,"), std::string::npos) << args << ": " << r.out;
    EXPECT_EQ(r.out.find("inf,"), std::string::npos) << args << ": " << r.out;
    EXPECT_EQ(r.out.find("e+2"), std::string::npos) << args << ": " << r.out;  // no 8e241 either
  }
  // srf refuses the same noise before any work: the first gradient step it would take is unusable.
  const CliRun srf = run_cli("simulate srf --noise 1e308 --d 40 --seeds 2 --threads 1");
  EXPECT_EQ(srf.code, 2) << srf.out;
  EXPECT_EQ(srf.err.rfind("rmtsolve: error: --noise: too large", 0), 0u) << srf.err;
  // A finite run says ok.
  const CliRun ok = run_cli("simulate rf --d 40 --seeds 2 --threads 1");
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find(",2,ok,"), std::string::npos) << ok.out;
  fs::remove_all(dir);
}

// ---- Class 8: messages stay one short line -----------------------------------------------------

TEST(HostileMessages, HostileValuesAreNotEchoedRaw) {
  for (const std::string& args : {std::string("curve rf --activation 'tan\nh'"),
                                  "curve rf --activation " + std::string(100000, 'x'),
                                  std::string("curve rf --target 'hermite:1,\n2,x'"), "curve rf --alpha " + std::string(50000, '7') + "x"}) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args.substr(0, 80);
    EXPECT_TRUE(one_line(r.err)) << args.substr(0, 80) << ": " << r.err.substr(0, 400);
    EXPECT_LT(r.err.size(), 400u) << args.substr(0, 80);
  }
}

// ---- Class 9: silently accepted nonsense -------------------------------------------------------

TEST(HostileSizes, SeedOutsideItsRangeIsRefused) {
  for (const char* seed : {"-1", "18446744073709551616", "1e3", "0x10"}) {
    const CliRun r = run_cli(std::string("simulate rf --d 30 --seeds 2 --seed ") + seed);
    EXPECT_EQ(r.code, 2) << seed << ": " << r.out;
    EXPECT_NE(r.err.find("--seed"), std::string::npos) << r.err;
  }
  EXPECT_EQ(run_cli("simulate rf --d 30 --seeds 2 --seed 18446744073709551615").code, 0);
}

TEST(HostileOptions, CommandLineWinsOverConfigAlsoWithEquals) {
  const fs::path dir = scratch("equals");
  const std::string config = (dir / "c.json").string();
  std::ofstream(config) << R"({"alpha": [0.5, 1], "beta": 2})";
  const CliRun r = run_cli("curve rf --config " + config + " --alpha=3");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(data_lines(r.out), 1);
  EXPECT_NE(r.out.find("\n3,2,"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(HostileSizes, DeepFilesAreCheckedLikeGcmFiles) {
  const fs::path dir = scratch("deepfiles");
  Eigen::MatrixXd C = Eigen::MatrixXd::Identity(5, 5);
  C(0, 1) = 0.5;  // not symmetric: not a covariance
  rmtsolve::write_npy((dir / "c.npy").string(), C);
  rmtsolve::write_npy((dir / "x.npy").string(), Eigen::MatrixXd::Ones(20, 3));
  const CliRun w = run_cli("curve deep --weights file:" + (dir / "c.npy").string());
  EXPECT_EQ(w.code, 2) << w.out;
  EXPECT_NE(w.err.find("--weights: must be symmetric"), std::string::npos) << w.err;
  const CliRun x = run_cli("curve deep --input " + (dir / "x.npy").string());
  EXPECT_EQ(x.code, 2) << x.out;
  EXPECT_NE(x.err.find("--input: must hold one column"), std::string::npos) << x.err;
  fs::remove_all(dir);
}

TEST(HostileResults, InfiniteValuesAreNotMissingValues) {
  // ntk_deriv at rho = 1 diverges (documented): "inf" in CSV and the string "inf" in JSON, where a
  // missing value is empty / null.
  const CliRun csv = run_cli("curve kernel --rho 1");
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_NE(csv.out.find(",inf,"), std::string::npos) << csv.out;
  const CliRun json = run_cli("curve kernel --rho 1 --format json");
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_NE(json.out.find("\"ntk_deriv\": \"inf\""), std::string::npos) << json.out;
  const CliRun below = run_cli("curve kernel --rho -1 --format json");
  ASSERT_EQ(below.code, 0) << below.err;
  EXPECT_NE(below.out.find("\"ntk_deriv\": \"-inf\""), std::string::npos) << below.out;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

TEST(HostileSizes, FailedAllocationNamesTheModel) {
  // An address-space cap below what the run needs but above what the estimate can see (it reads
  // MemAvailable and the cgroup, not ulimit -v): the allocation fails, one line names the model.
  if (kAddressSanitizer) GTEST_SKIP() << "AddressSanitizer reserves terabytes of shadow address space: ulimit -v kills it at start-up";
  const CliRun r = run_cli("simulate rf --d 2500 --seeds 1 --threads 1", "ulimit -v 300000;");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("model rf: out of memory"), std::string::npos) << r.err;
}

TEST(HostileMessages, HermiteCoefficientsAreBoundedAndBlamedOnTheirFlag) {
  std::string many = "hermite:0";
  for (int k = 1; k < 200; ++k) many += ",0.001";
  for (const std::string& args : {std::string("curve rf --target hermite:1e308"), "curve rf --activation " + many,
                                  std::string("curve rf --target hermite:0,1,1e150")}) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args.substr(0, 80);
    EXPECT_TRUE(one_line(r.err)) << r.err;
    const std::string flag = args.find("--target") != std::string::npos ? "--target" : "--activation";
    EXPECT_EQ(r.err.rfind("rmtsolve: error: " + flag + ": hermite:", 0), 0u) << r.err;
  }
}

TEST(HostileMessages, GcmMatrixProblemsBlameTheMatricesGiven) {
  const fs::path dir = scratch("gcmblame");
  rmtsolve::write_npy((dir / "omega.npy").string(), -Eigen::MatrixXd::Identity(4, 4));  // not PSD
  rmtsolve::write_npy((dir / "eye.npy").string(), Eigen::MatrixXd::Identity(4, 4));
  const CliRun r = run_cli("curve gcm --omega " + (dir / "omega.npy").string() + " --phi " + (dir / "eye.npy").string() +
                           " --psi " + (dir / "eye.npy").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("rmtsolve: error: --omega: ", 0), 0u) << r.err;  // not --spectrum, which was not given
  fs::remove_all(dir);
}

TEST(HostileMessages, SrfStepOverflowBlamesEta) {
  const CliRun r = run_cli("curve srf --eta 1e308");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_EQ(r.err.rfind("rmtsolve: error: --eta: too large", 0), 0u) << r.err;  // was "variance: ..."
}

TEST(HostileResults, OverflowedClosedFormsAreNotConvergedRows) {
  // Printed as converged inf before; now non-finite, exit 3, the row kept with empty outputs.
  for (const char* args : {"curve linear-phase --c 1e308", "curve saxe --tau 1e308"}) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 3) << args << ": " << r.out << r.err;
    EXPECT_EQ(data_lines(r.out), 1) << args;
    EXPECT_NE(r.out.find("non_finite"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(",inf,"), std::string::npos) << r.out;
  }
}

// ---- Class 7: interrupts inside one long seed --------------------------------------------------

namespace {

// Starts `argv` with RMTSOLVE_PROGRESS=lines and its stderr on a pipe; waits (an event, not a
// timer) for the progress line `started_after`, then sends `signals` in turn.  Returns the exit
// status, or -1 when the process has not ended `guard_seconds` after the signals: a hang guard,
// far above the second or so an interrupt takes, never a speed assertion.
int interrupt_when(const std::vector<std::string>& argv, const std::string& started_after, const std::vector<int>& signals,
                   int guard_seconds = 120) {
  int fds[2];
  if (::pipe(fds) != 0) return -2;
  const pid_t pid = ::fork();
  if (pid < 0) return -2;
  if (pid == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::setenv("RMTSOLVE_PROGRESS", "lines", 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(RMTSOLVE_CLI, args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  FILE* err = ::fdopen(fds[0], "r");
  char line[512];
  bool started = false;
  while (!started && std::fgets(line, sizeof line, err)) started = std::string(line).rfind(started_after, 0) == 0;
  EXPECT_TRUE(started) << "the run ended before its progress log said '" << started_after << "'";
  for (int s : signals) ::kill(pid, s);
  // Drain stderr until the process closes it (it exits), waiting at most the guard.
  const int fd = ::fileno(err);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(guard_seconds);
  bool closed = false;
  while (!closed) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    closed = ::read(fd, line, sizeof line) <= 0;  // EOF: the process is exiting
  }
  std::fclose(err);
  int status = 0;
  if (!closed) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST(HostileInterrupts, SignalInsideOneLongSeedStopsItAndKeepsTheFinishedRows) {
  // Three points of one seed each: a tiny one (p = 25), then two seeds of some seconds each (d =
  // 2500, p = 2500: feature GEMMs, a Gram and a Cholesky).  The signal arrives once the first
  // point's seed is reported done, i.e. while the second point's single seed is under way.  Before,
  // that seed ran to its end, its row was added and only the third point saw the interrupt (two
  // rows); now the seed is abandoned between its BLAS stages: exit 130, exactly the first row.
  const fs::path dir = scratch("seedsigint");
  const std::string output = (dir / "t.csv").string();
  const int code = interrupt_when({RMTSOLVE_CLI, "simulate", "rf", "--beta", "0.01,1,1.2", "--d", "2500", "--seeds", "1",
                                   "--threads", "1", "--output", output},
                                  "rmtsolve: 1/3 seeds", {SIGINT});
  ASSERT_NE(code, -1) << "no exit within the hang guard after SIGINT";
  EXPECT_EQ(code, 130);
  const std::string table = slurp(output);
  EXPECT_NE(table.find("# interrupted: yes"), std::string::npos) << table;
  EXPECT_EQ(data_lines(table), 1) << table;
  EXPECT_NE(table.find("\n1,0.01,"), std::string::npos) << table;
  fs::remove_all(dir);
}

TEST(HostileInterrupts, TerminateInsideOneLongSeedOfEveryKindOfWork) {
  // The same for SIGTERM and the other long seeds: a one-step network (srf), deep features, a
  // kernel regression (krr), a logistic readout fitted by L-BFGS (srf-class).  One tiny point, then
  // a long one; the process must end with 130 and the tiny point's row.
  const std::vector<std::vector<std::string>> runs = {
      {"simulate", "srf", "--beta", "0.01,1", "--d", "2000"},
      {"simulate", "deep", "--widths", "1,1,1", "--alpha", "0.01,1", "--d", "2000"},
      {"simulate", "krr", "--alpha", "0.01,2", "--d", "1200"},
      {"simulate", "srf-class", "--beta", "0.01,1", "--alpha", "3", "--d", "1500"}};
  const fs::path dir = scratch("seedsigterm");
  for (const auto& run : runs) {
    const std::string output = (dir / "t.csv").string();
    std::vector<std::string> argv{RMTSOLVE_CLI};
    argv.insert(argv.end(), run.begin(), run.end());
    for (const char* a : {"--seeds", "1", "--threads", "1", "--output"}) argv.emplace_back(a);
    argv.push_back(output);
    const int code = interrupt_when(argv, "rmtsolve: 1/2 seeds", {SIGTERM});
    ASSERT_NE(code, -1) << run[1] << ": no exit within the hang guard after SIGTERM";
    EXPECT_EQ(code, 130) << run[1];
    EXPECT_EQ(data_lines(slurp(output)), 1) << run[1];
    fs::remove(output);
  }
  fs::remove_all(dir);
}

TEST(HostileInterrupts, SecondSignalEndsTheProcessAtOnce) {
  // Two signals in a row inside a long seed: the second ends the process with 130 whatever the
  // first is still doing (the handler itself is pinned down in InterruptDeathTest).
  const int code = interrupt_when({RMTSOLVE_CLI, "simulate", "rf", "--beta", "0.01,1", "--d", "2500", "--seeds", "1", "--threads", "1"},
                                  "rmtsolve: 1/2 seeds", {SIGINT, SIGINT});
  ASSERT_NE(code, -1) << "no exit within the hang guard after two SIGINTs";
  EXPECT_EQ(code, 130);
}

TEST(InterruptDeathTest, SecondSignalExitsWith130) {
  // The first signal only asks (the flag); the second, arriving while the flag is still set, exits.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        rmtsolve::install_interrupt_handler();
        std::raise(SIGINT);
        if (!rmtsolve::interrupted()) std::_Exit(1);
        std::raise(SIGTERM);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(130), "");
}

TEST(HostileMessages, DerivedOverflowsBlameTheFlagGiven) {
  // Each of these used to blame a quantity the user never gave ("--activation", "variance",
  // "--kappa", "Theta0", "a0", "u0") or echo a 300-digit number.
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"curve srf --noise 1e308", "--noise: too large"},
      {"curve srf --noise 1e60", "--noise: too large"},
      {"curve srf --eta 1e50", "--eta: too large"},
      {"curve srf-class --eta 1e308", "--eta: too large"},
      {"curve srf-class --alpha0 1e-300", "--alpha0: too small"},
      {"curve krr --w_std 1e308", "--w_std: too large"},
      {"curve krr --b_std 1e308", "--b_std: too large"},
      {"curve linear-phase --a_eta_u 1e308", "--a_eta_u: too large"},
      {"curve linear-phase --a_kappa -1e308", "--a_kappa: too small"},
      {"curve kernel --rho 1e308", "--rho: must be in [-1, 1], got 1e+308"}};
  for (const auto& [args, expected] : refused) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_TRUE(one_line(r.err)) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("rmtsolve: error: " + expected, 0), 0u) << args << ": " << r.err;
  }
  // Finite flags whose derived quantities overflow: a non_finite row like an overflowed closed form.
  for (const char* args : {"curve linear-dynamics --sigma_u 1e308", "curve linear-phase --eta_u 1e308",
                           "curve single-neuron --delta 1e308", "curve single-neuron --sigma 1e308"}) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 3) << args << ": " << r.err;
    EXPECT_EQ(data_lines(r.out), 1) << args;
    EXPECT_NE(r.out.find(",non_finite,"), std::string::npos) << args << ": " << r.out;
  }
}

TEST(HostileMessages, LongValuesAreQuotedShortWithTheirLength) {
  // A 100 000-character value: its first 60 characters and its length, then the rest of the reason.
  const CliRun r = run_cli("curve rf --activation " + std::string(100000, 'x'));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(one_line(r.err)) << r.err.substr(0, 400);
  EXPECT_NE(r.err.find("...(100002 characters) (known: "), std::string::npos) << r.err.substr(0, 400);
  EXPECT_EQ(r.err.find(std::string(61, 'x')), std::string::npos) << r.err.substr(0, 400);
}

// --network only matters to the Monte Carlo and --spectrum only to the theory, but `curve` used to
// accept any text for the first and `simulate` for the second: a misspelt value must be refused by
// every command, naming the flag.
TEST(HostileText, NetworkAndSpectrumAreCheckedByEveryCommand) {
  for (const char* model : {"srf", "srf-class"}) {
    const CliRun r = run_cli(std::string("curve ") + model + " --alpha 1 --network inf");
    EXPECT_EQ(r.code, 2) << model;
    EXPECT_NE(r.err.find("--network: must be real or spiked, got 'inf'"), std::string::npos) << r.err;
    // and --spectrum, which only the theory uses, by simulate
    const CliRun s = run_cli(std::string("simulate ") + model + " --alpha 1 --d 20 --seeds 1 --spectrum inf");
    EXPECT_EQ(s.code, 2) << model;
    EXPECT_NE(s.err.find("--spectrum: must be seed-free or sampled:D:SEED, got 'inf'"), std::string::npos) << s.err;
  }
}

// Overflowing scales of the linear-dynamics Monte Carlo were blamed on "weights"/"inputs", words
// the user never typed: they name the flag now.
TEST(HostileText, LinearDynamicsOverflowNamesTheFlag) {
  for (const char* flag : {"--c", "--sigma_u", "--sigma_w"}) {
    const CliRun r = run_cli(std::string("simulate linear-dynamics --d 20 --seeds 1 ") + flag + " 1e308");
    EXPECT_EQ(r.code, 2) << flag;
    EXPECT_EQ(r.err.rfind(std::string("rmtsolve: error: ") + flag + ": too large", 0), 0u) << r.err;
  }
}
