// End-to-end tests of the rmtsolve binary: exit codes, messages and tables as a user sees them.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <csignal>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rmtsolve/io/matrix_io.hpp"

#include "cli_run.hpp"

using rmtsolve_test::CliRun;
using rmtsolve_test::data_lines;
using rmtsolve_test::one_line;
using rmtsolve_test::run_cli;
using rmtsolve_test::slurp;

TEST(Cli, CurvePrintsOneRowPerGridPoint) {
  const CliRun r = run_cli("curve rf --activation tanh --alpha 0.2:4:20 --beta 2 --lambda 1e-2 --noise 0.25");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(data_lines(r.out), 20);
  EXPECT_NE(r.out.find("alpha,beta,lambda,noise,test_error,train_error"), std::string::npos);
  EXPECT_NE(r.out.find("# command: "), std::string::npos);
}

TEST(Cli, TwoParameterSweepAndJson) {
  const CliRun r = run_cli("curve rf --alpha 0.5:2:4 --lambda 1e-3,1e-1 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["rows"].size(), 8u);
  EXPECT_EQ(doc["metadata"]["model"], "rf");
  // Longer grid innermost: α runs fastest, λ is constant over the first four rows.
  EXPECT_DOUBLE_EQ(doc["rows"][0]["lambda"].get<double>(), 1e-3);
  EXPECT_DOUBLE_EQ(doc["rows"][3]["lambda"].get<double>(), 1e-3);
  EXPECT_DOUBLE_EQ(doc["rows"][1]["alpha"].get<double>(), 1.0);
  for (const auto& row : doc["rows"]) EXPECT_GT(row["test_error"].get<double>(), 0.0);
}

TEST(Cli, OutputFileIsWritten) {
  const auto path = std::filesystem::temp_directory_path() / ("rmtsolve_cli_curve_" + std::to_string(::getpid()) + ".csv");
  std::filesystem::remove(path);
  const CliRun r = run_cli("curve rf --alpha 1:2:3 --output " + path.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(data_lines(slurp(path.string())), 3);
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
}

TEST(Cli, BadInputGetsOneLineErrorNamingTheFlag) {
  const std::pair<std::string, std::string> cases[] = {
      {"curve rf --alpha -1", "--alpha"},
      {"curve rf --alpha 0", "--alpha"},
      {"curve rf --beta 0:2:3", "--beta"},
      {"curve rf --lambda -0.1", "--lambda"},
      {"curve rf --noise nan", "--noise"},
      {"curve rf --alpha 0.2:4", "--alpha"},
      {"curve rf --alpha 1:2:x", "--alpha"},
      {"curve rf --alpha 1,,2", "--alpha"},
      {"curve rf --activation swish", "--activation"},
      {"curve rf --target hermite:1,a", "--target"},
      {"curve rf --alpha 1:2:3 --beta 1:2:3 --lambda 1,2",
       "rmtsolve: error: --lambda: at most two parameters can be swept at once (also swept: alpha, beta)"},
      {"curve rf --format xml", "--format"},
      {"curve rf --bogus 1", "bogus"},
      {"curve nosuchmodel", "nosuchmodel"},
      {"simulate rf --d 0", "--d"},
      {"simulate rf --seeds 0", "--seeds"},
      {"curve gcm --omega /nonexistent.npy --phi /nonexistent.npy --psi /nonexistent.npy", "--psi"},
      {"curve gcm", "--spectrum"},
      {"curve gcm --spectrum x.csv --threads -1", "--threads"},
  };
  for (const auto& [args, flag] : cases) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_TRUE(one_line(r.err)) << args << ": '" << r.err << "'";
    EXPECT_NE(r.err.find(flag), std::string::npos) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
}

TEST(Cli, NonConvergedPointKeepsOtherRowsAndExitsThree) {
  // λ = 0 at α = β is the interpolation threshold: that point diverges, its neighbours are fine.
  const CliRun r = run_cli("curve rf --alpha 1,2,3 --beta 2 --lambda 0");
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(data_lines(r.out), 3);
  EXPECT_NE(r.out.find("divergent"), std::string::npos);
  EXPECT_NE(r.err.find("alpha=2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 3 points"), std::string::npos) << r.err;
}

TEST(Cli, SolverBudgetExhaustionIsReported) {
  const CliRun r = run_cli("curve rf --alpha 0.5,1.5 --max-iterations 1");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.out.find("max_iterations"), std::string::npos);
  EXPECT_NE(r.err.find("did not converge"), std::string::npos);
}

TEST(Cli, SimulateAndValidate) {
  const CliRun s = run_cli("simulate rf --alpha 0.5,2 --beta 1.5 --d 120 --seeds 4");
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(data_lines(s.out), 2);
  EXPECT_NE(s.out.find("test_error_mean,test_error_se"), std::string::npos);

  const CliRun v = run_cli("validate rf --alpha 0.5,2 --beta 1.5 --lambda 0.05 --noise 0.25 --d 250 --seeds 6");
  EXPECT_EQ(v.code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("PASS"), std::string::npos);
  // With no allowance at all the same comparison must fail and say so.
  const CliRun strict = run_cli("validate rf --alpha 0.5,2 --beta 1.5 --lambda 0.05 --noise 0.25 --d 250 --seeds 6 --k-sigma 0 --rel-tol 0");
  EXPECT_EQ(strict.code, 1);
  EXPECT_NE(strict.out.find("FAIL"), std::string::npos);
}

TEST(Cli, GcmFromFilesAndSpectrum) {
  const auto dir = std::filesystem::temp_directory_path() / ("rmtsolve_cli_gcm_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const int p = 60;
  rmtsolve::write_npy((dir / "omega.npy").string(), Eigen::MatrixXd::Identity(p, p));
  rmtsolve::write_npy((dir / "phi.npy").string(), Eigen::MatrixXd::Identity(p, p));
  rmtsolve::write_npy((dir / "psi.npy").string(), Eigen::MatrixXd::Identity(p, p));
  const std::string files = " --omega " + (dir / "omega.npy").string() + " --phi " + (dir / "phi.npy").string() +
                            " --psi " + (dir / "psi.npy").string();
  const CliRun m = run_cli("curve gcm" + files + " --alpha 0.5,1.5 --lambda 0 --noise 0.25");
  ASSERT_EQ(m.code, 0) << m.err;
  // Isotropic ridgeless closed forms: 1 − α + 0.25/(1 − α) at α = 0.5, 0.25 α/(α − 1) at 1.5.
  EXPECT_NE(m.out.find("\n0.5,0,0.25,1,1,"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("\n1.5,0,0.25,1,0.75,"), std::string::npos) << m.out;
  {
    std::ofstream f(dir / "spectrum.csv");
    f << "omega,t\n";
    f.precision(17);
    for (int j = 0; j < p; ++j) f << "1," << 1.0 / p << "\n";
  }
  const CliRun s = run_cli("curve gcm --spectrum " + (dir / "spectrum.csv").string() + " --alpha 0.5,1.5 --lambda 0 --noise 0.25");
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_NE(s.out.find("\n1.5,0,0.25,1,0.75,"), std::string::npos) << s.out;
  const CliRun both = run_cli("curve gcm --spectrum " + (dir / "spectrum.csv").string() + files);
  EXPECT_EQ(both.code, 2);
  const CliRun v = run_cli("validate gcm" + files + " --alpha 0.5,2 --lambda 0.1 --noise 0.25 --seeds 6");
  EXPECT_EQ(v.code, 0) << v.out << v.err;
}

TEST(Cli, HelpListsModelFlags) {
  const CliRun r = run_cli("curve rf --help");
  EXPECT_EQ(r.code, 0);
  for (const char* flag : {"--alpha", "--beta", "--lambda", "--noise", "--activation", "--target", "--format", "--output"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

TEST(Cli, ValidationSuiteFiles) {
  const auto dir = std::filesystem::temp_directory_path() / ("rmtsolve_cli_suite_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.json").string(), bad = (dir / "bad.json").string();
  std::ofstream(good) << R"({"model": "rf", "simulation": {"d": 250, "seeds": 6},
    "runs": [{"activation": "erf", "alpha": "0.5,2", "lambda": "0.1"}, {"activation": "relu", "alpha": "1"}]})";
  const CliRun r = run_cli("validate " + good);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(data_lines(r.out), 3);
  EXPECT_NE(r.out.find(",erf,"), std::string::npos);
  EXPECT_NE(r.out.find(",relu,"), std::string::npos);
  std::ofstream(bad) << R"({"model": "rf", "runs": [{"alpha": "1", "gamma": "2"}]})";
  const CliRun b = run_cli("validate " + bad);
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.err.find("gamma"), std::string::npos) << b.err;
  EXPECT_TRUE(one_line(b.err));
  std::ofstream(bad) << R"({"model": "rf", "runs": [)";
  EXPECT_EQ(run_cli("validate " + bad).code, 2);
  // Found by fuzzing: a number that overflows, and fields of the wrong type.
  std::ofstream(bad) << R"({"model": "rf", "runs": [{"alpha": 55555e55555}]})";
  EXPECT_EQ(run_cli("validate " + bad).code, 2);
  std::ofstream(bad) << R"({"model": "rf", "description": 3, "tolerance": {"k_sigma": "x"}, "runs": [{"alpha": "1"}]})";
  EXPECT_EQ(run_cli("validate " + bad).code, 2);
  EXPECT_EQ(run_cli("validate /nonexistent/suite.json").code, 2);
}

TEST(Cli, PlotsAreDrawnWithGnuplot) {
  const auto dir = std::filesystem::temp_directory_path() / ("rmtsolve_cli_plot_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string svg = (dir / "curve.svg").string(), png = (dir / "validate.png").string();
  const CliRun c = run_cli("curve srf --eta 0,2 --alpha 0.2:3:12 --plot " + svg);
  ASSERT_EQ(c.code, 0) << c.err;
  const std::string drawing = slurp(svg);
  EXPECT_NE(drawing.find("<svg"), std::string::npos);
  EXPECT_NE(drawing.find("η̃ = 2"), std::string::npos);  // one line per value of the second parameter
  EXPECT_GT(std::count(drawing.begin(), drawing.end(), 'L'), 40);  // path segments of the curves
  const CliRun v = run_cli("validate rf --alpha 0.5,2 --d 120 --seeds 4 --rel-tol 1 --plot " + png);
  ASSERT_EQ(v.code, 0) << v.err;
  const std::string image = slurp(png);
  ASSERT_GT(image.size(), 5000u);
  EXPECT_EQ(image.substr(1, 3), "PNG");
  EXPECT_EQ(run_cli("curve rf --plot " + (dir / "x.jpg").string()).code, 2);
  std::filesystem::remove_all(dir);
}

TEST(Cli, ConfigFileSuppliesFlagsAndCommandLineWins) {
  const auto dir = std::filesystem::temp_directory_path() / ("rmtsolve_cli_config_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string config = (dir / "spec.json").string();
  std::ofstream(config) << R"({"activation": "erf", "alpha": [0.5, 1, 2], "beta": 2, "lambda": 0.1})";
  const CliRun r = run_cli("curve rf --config " + config + " --beta 3");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(data_lines(r.out), 3);
  EXPECT_NE(r.out.find("\n0.5,3,0.1,0,"), std::string::npos) << r.out;  // β from the command line
  EXPECT_NE(r.out.find(",erf,linear"), std::string::npos);
  EXPECT_NE(r.out.find("# config: " + config), std::string::npos);
  std::ofstream(config) << R"({"alpha": -1})";
  const CliRun bad = run_cli("curve rf --config " + config);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--alpha"), std::string::npos);
  EXPECT_EQ(run_cli("curve rf --config /nonexistent.json").code, 2);
  std::filesystem::remove_all(dir);
}

TEST(Cli, QuietOnStderrWhenNotATerminal) {
  // The progress bar is for terminals only: a pipe gets the table and nothing else.
  const CliRun r = run_cli("simulate rf --alpha 0.5,1 --d 100 --seeds 3");
  ASSERT_EQ(r.code, 0);
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("# seeds: 3"), std::string::npos);
  EXPECT_NE(r.out.find("# base_seed: "), std::string::npos);
}

TEST(Cli, InterruptedSimulationKeepsFinishedPoints) {
  const auto path = std::filesystem::temp_directory_path() / ("rmtsolve_cli_interrupted_" + std::to_string(::getpid()) + ".csv");
  // A run that needs far longer than the test: SIGINT once its progress log says that two points'
  // seeds are done (one thread, points in order, so the first point's row is in the table), however
  // long that takes on a loaded machine.  Expected: exit 130, a complete file with the finished rows.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const std::string output = path.string();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    ::setenv("RMTSOLVE_PROGRESS", "lines", 1);
    ::execl(RMTSOLVE_CLI, RMTSOLVE_CLI, "simulate", "rf", "--alpha", "0.5:3:200", "--d", "300", "--seeds", "4",
            "--threads", "1", "--output", output.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  FILE* err = ::fdopen(pipe_fds[0], "r");
  ASSERT_NE(err, nullptr);
  char line[512];
  bool second_point_done = false;
  while (!second_point_done && std::fgets(line, sizeof line, err))
    second_point_done = std::string(line).rfind("rmtsolve: 8/800 seeds", 0) == 0;
  EXPECT_TRUE(second_point_done) << "the run ended before its progress log reached 8 seeds";
  ::kill(pid, SIGINT);
  while (std::fgets(line, sizeof line, err)) {
  }
  std::fclose(err);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const std::string table = slurp(path.string());
  EXPECT_NE(table.find("# interrupted: yes"), std::string::npos);
  const int rows = data_lines(table);
  EXPECT_GT(rows, 0);
  EXPECT_LT(rows, 200);
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(table.back(), '\n');  // written whole, not cut mid-line
  std::filesystem::remove(path);
}

TEST(Cli, OptimizeLambdaPrintsOptimumPerPoint) {
  const CliRun r = run_cli("curve rf --activation tanh --alpha 0.2:4:20 --beta 2 --noise 0.25 --optimize lambda");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(data_lines(r.out), 20);
  EXPECT_NE(r.out.find("alpha,beta,lambda,noise,lambda_opt,test_error,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluations,bracket_lo,bracket_hi,on_bound,search"), std::string::npos);
  const CliRun help = run_cli("curve rf --help");
  for (const char* flag : {"--optimize", "--objective", "--bounds", "--reach", "--over"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
}

TEST(Cli, ReachNotReachedIsACleanOutcome) {
  // Label noise 0.25 is a floor of the test error: 0.1 cannot be reached, which is an answer, not an error.
  const CliRun r = run_cli("curve rf --activation tanh --beta 2 --lambda 1e-2 --noise 0.25 --reach test_error=0.1 --over alpha");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("not reached within the bounds"), std::string::npos) << r.out;
}

TEST(Cli, SearchBadInputNamesTheFlag) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"curve rf --optimize lambda --bounds 1:0.1", "--bounds"},           // LO >= HI
      {"curve rf --optimize lambda --bounds -1:1", "--bounds"},            // outside λ >= 0
      {"curve rf --optimize alpha --bounds 0:2", "--bounds"},              // outside α > 0
      {"curve rf --optimize lambda --bounds 1:x", "--bounds"},             // not numbers
      {"curve rf --optimize lambda --objective nonsense", "--objective"},  // not an output
      {"curve rf --objective test_error", "--objective"},                  // without --optimize
      {"curve rf --optimize activation", "--optimize"},                    // a text parameter
      {"curve rf --optimize gamma", "--optimize"},                         // not a parameter
      {"curve krr --optimize depth --bounds 1:4", "--optimize"},          // a whole number
      {"curve rf --optimize lambda --lambda 1e-3:1:5:log", "--optimize"},  // also swept
      {"curve rf --optimize noise", "--bounds"},                           // no default range
      {"curve rf --reach nonsense=0.1 --over alpha", "--reach"},           // output the model lacks
      {"curve rf --reach test_error --over alpha", "--reach"},             // no value
      {"curve rf --reach test_error=0.1", "--over"},                       // --over missing
      {"curve rf --reach test_error=0.1 --over alpha --alpha 1,2", "--over"},  // also swept
      {"curve rf --reach test_error=0.1 --over lambda --optimize lambda", "--over"},
      {"curve rf --reach test_error=0.1 --over alpha:2:1", "--over"},      // LO >= HI
  };
  for (const auto& [args, flag] : cases) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.out;
    EXPECT_TRUE(one_line(r.err)) << args << ": " << r.err;
    EXPECT_NE(r.err.find(flag), std::string::npos) << args << ": " << r.err;
  }
}

TEST(Cli, SearchWithFailingInnerSolvesIsNotAnOptimum) {
  // One iteration cannot solve the srf point: the row is kept with its summary, exit 3.
  const CliRun r = run_cli("curve srf --activation tanh --target tanh --alpha 1 --optimize eta --max-iterations 1");
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_EQ(data_lines(r.out), 1);
  EXPECT_NE(r.err.find("not an optimum"), std::string::npos) << r.err;
}

TEST(Cli, OptimisedCurveColumnsAreSelectableAndShownInTheTableView) {
  // The search's answer is a column like any other: --columns accepts it before computing, the table
  // view shows it beside the swept parameter, and the solver's method keeps its unique name.
  const std::string base = "curve rf --activation tanh --alpha 0.5,2 --beta 2 --noise 0.25 --optimize lambda";
  const CliRun picked = run_cli(base + " --columns alpha,lambda_opt,test_error");
  ASSERT_EQ(picked.code, 0) << picked.err;
  EXPECT_NE(picked.out.find("\nalpha,lambda_opt,test_error\n"), std::string::npos) << picked.out;
  EXPECT_EQ(data_lines(picked.out), 2);
  const CliRun table = run_cli(base + " --format table");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("lambda_opt"), std::string::npos) << table.out;
  const CliRun csv = run_cli(base);
  EXPECT_NE(csv.out.find(",solver_method,"), std::string::npos) << csv.out;
  EXPECT_EQ(csv.out.find(",method,"), std::string::npos) << csv.out;
  EXPECT_EQ(run_cli(base + " --columns alpha,nonsense_opt").code, 2);
}

TEST(Cli, OptimisedCurvePlotsTheOptimumInAPanelOfItsOwn) {
  const auto dir = std::filesystem::temp_directory_path() / ("rmtsolve_cli_optplot_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string svg = (dir / "optimum.svg").string();
  const CliRun c = run_cli("curve rf --alpha 0.2:3:8 --noise 0.25 --optimize lambda --plot " + svg);
  ASSERT_EQ(c.code, 0) << c.err;
  const std::string drawing = slurp(svg);
  EXPECT_NE(drawing.find(">lambda_opt<"), std::string::npos);        // its legend entry
  EXPECT_NE(drawing.find("optimum / crossing"), std::string::npos);  // the second panel's axis label
  EXPECT_NE(drawing.find("lambda optimised"), std::string::npos);    // the caption, not "lambda=nan"
  std::filesystem::remove_all(dir);
}
