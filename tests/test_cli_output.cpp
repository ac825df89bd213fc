// End-to-end tests of what the rmtsolve binary draws and prints for people: plots of every model,
// the table format, column selection, JSON encoding, the validation summary and flag spelling.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "rmtsolve/engine/sweep.hpp"

namespace {

namespace fs = std::filesystem;

struct CliResult {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// `env` is prepended to the command (e.g. "PATH=/nonexistent").
CliResult run_cli(const std::string& args, const std::string& env = "") {
  static int calls = 0;
  const fs::path dir = fs::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(calls++);
  const fs::path out = dir / ("rmtsolve_out_out_" + tag), err = dir / ("rmtsolve_out_err_" + tag);
  const std::string cmd = env + (env.empty() ? "" : " ") + RMTSOLVE_CLI + " " + args + " >" + out.string() + " 2>" +
                          err.string() + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  fs::remove(out);
  fs::remove(err);
  return r;
}

class PlotDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rmtsolve_plots_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // A gcm spectrum (omega_j, t_j) with power-law decay, p = 200; t_j = 0.9 omega_j^2 / sum omega
  // leaves 10 % of E y^2 = rho = 1 unexplained by the features.
  std::string spectrum() const {
    std::ofstream f(dir_ / "spectrum.csv");
    f << "omega,t\n";
    double total = 0.0;
    for (int j = 1; j <= 200; ++j) total += 1.0 / j;
    for (int j = 1; j <= 200; ++j) f << 1.0 / j << "," << 0.9 / (double(j) * j) / total << "\n";
    return (dir_ / "spectrum.csv").string();
  }
  fs::path dir_;
};

// A drawn picture, not an empty canvas: gnuplot's frame with a title and axis labels and no data
// weighs 9.7 kB as PNG, 9.0 kB as SVG and 7.9 kB as PDF at our sizes (measured); curves, markers and
// a legend take a plot well above 1.5 times that.
void expect_image(const std::string& file) {
  const std::string data = slurp(file);
  const std::string ext = fs::path(file).extension().string();
  const size_t blank = ext == ".png" ? 9700 : ext == ".svg" ? 9000 : 7900;
  ASSERT_GT(data.size(), blank * 3 / 2) << file;
  if (ext == ".png") EXPECT_EQ(data.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << file;
  if (ext == ".pdf") EXPECT_EQ(data.substr(0, 5), "%PDF-") << file;
  if (ext == ".svg") {
    EXPECT_NE(data.find("<svg"), std::string::npos) << file;
    EXPECT_NE(data.find("</svg>"), std::string::npos) << file;
  }
}

}  // namespace

TEST_F(PlotDir, EveryModelPlots) {
  const std::pair<std::string, std::string> cases[] = {
      {"curve rf --alpha 0.2:4:12 --lambda 1e-3,1e-1", "rf.png"},
      {"curve gcm --spectrum " + spectrum() + " --alpha 0.2:3:8", "gcm.png"},
      {"curve srf --eta 0,2 --alpha 0.2:3:8", "srf.svg"},
      {"curve deep --widths 2,1 --activations tanh --alpha 0.2:3:8", "deep.png"},
      {"curve kernel --activation relu --depth 3 --rho -1:1:21", "kernel.png"},
      {"curve krr --activation relu --depth 2 --alpha 0.25:4:8 --lambda 1e-3", "krr.pdf"},
      {"curve linear-dynamics --t 0:10:21 --width 50 --kappa 0.1", "dynamics.png"},
      {"phase --width 1000 --a_kappa -1.5:0:7 --a_sigma_u -1:0:5", "phase.png"},
      {"curve single-neuron --t 0:10:11 --delta=-2,0,2", "neuron.svg"},
      {"curve saxe --t 0:20:21 --u0 1e-3 --depth 3,4", "saxe.png"},
      {"simulate nfa --d 6 --alpha 4 --width 16 --step 0,5,20 --seeds 2", "nfa.png"},
  };
  for (const auto& [args, file] : cases) {
    const CliResult r = run_cli(args + " --plot " + path(file));
    ASSERT_EQ(r.code, 0) << args << "\n" << r.err;
    expect_image(path(file));
  }
}

TEST_F(PlotDir, PlotTargetIsCheckedBeforeAnyComputation) {
  // A long Monte Carlo run: if the target were checked afterwards, the table would be on stdout.
  const std::string slow = "validate rf --alpha 0.5:4:20 --d 2000 --seeds 50 --plot ";
  const std::pair<std::string, std::string> cases[] = {
      {slow + path("x.jpg"), ".svg, .png or .pdf"},
      {slow + path("missing/x.png"), "does not exist"},
      {slow + dir_.string(), "must end in"},
  };
  for (const auto& [args, message] : cases) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_NE(r.err.find("--plot"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
  const CliResult g = run_cli(slow + path("x.png"), "PATH=/nonexistent");
  EXPECT_EQ(g.code, 2);
  EXPECT_NE(g.err.find("gnuplot is not installed"), std::string::npos) << g.err;
  EXPECT_TRUE(g.out.empty());
}

TEST_F(PlotDir, ClassificationPlotsTheClassificationErrorAgainstNOverP) {
  const CliResult r = run_cli("curve gcm --spectrum " + spectrum() + " --loss logistic --teacher sign --alpha 0.5:3:6 --lambda 0.1 --plot " +
                        path("gcm.svg"));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string svg = slurp(path("gcm.svg"));
  EXPECT_NE(svg.find("classification error"), std::string::npos);
  EXPECT_NE(svg.find("α = n/p"), std::string::npos);
  EXPECT_EQ(svg.find("mean squared"), std::string::npos);
  EXPECT_NE(svg.find("loss=logistic"), std::string::npos);  // the fixed parameters are in the title
}

TEST_F(PlotDir, ValidationDrawsDenseTheoryAndMarksFailedPoints) {
  // k = 0 and no allowance: every point fails, and is circled.
  const CliResult r = run_cli("validate rf --alpha 0.5,2 --d 100 --seeds 3 --rel-tol 0 --k-sigma 0 --plot " + path("v.svg"),
                        "RMTSOLVE_KEEP_PLOT_SCRIPT=1");
  EXPECT_EQ(r.code, 1) << r.err;
  expect_image(path("v.svg"));
  const std::string svg = slurp(path("v.svg")), script = slurp(path("v.svg.gp"));
  EXPECT_NE(svg.find("failed verdict"), std::string::npos);
  EXPECT_NE(svg.find("d=100"), std::string::npos);
  EXPECT_NE(svg.find("seeds=3"), std::string::npos);
  // The theory block has the fine grid (200 points + the 2 Monte Carlo points), not 2 points.
  const size_t start = script.find("$b0 << EOD\n"), end = script.find("EOD\n", start + 11);
  ASSERT_NE(start, std::string::npos);
  const std::string block = script.substr(start, end - start);
  EXPECT_GE(std::count(block.begin(), block.end(), '\n'), 200);
}

TEST_F(PlotDir, LogAxesAndHeatmapStyle) {
  const CliResult r = run_cli("curve rf --alpha 0.1:10:9:log --lambda 1e-3,1e-2,1e-1 --plot-style heatmap --logy --plot " +
                            path("h.png"),
                        "RMTSOLVE_KEEP_PLOT_SCRIPT=1");
  ASSERT_EQ(r.code, 0) << r.err;
  expect_image(path("h.png"));
  const std::string script = slurp(path("h.png.gp"));
  EXPECT_NE(script.find("set logscale x"), std::string::npos);  // the α grid is log-spaced
  EXPECT_NE(script.find("with boxxyerror"), std::string::npos);  // the heatmap's cells
  const CliResult bad = run_cli("simulate rf --alpha 0.5:4:20 --d 2000 --seeds 50 --plot-style heatmap --plot " + path("bad.png"));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--plot-style"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty());  // refused before the Monte Carlo
}

TEST_F(PlotDir, ColumnsAreUniqueAndTheSolverMethodIsKept) {
  for (const std::string& args : {std::string("curve deep --widths 2,1 --activations tanh --alpha 1"), "curve gcm --spectrum " + spectrum() + " --alpha 1"}) {
    const CliResult r = run_cli(args + " --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    const auto columns = doc["columns"].get<std::vector<std::string>>();
    EXPECT_EQ(std::set<std::string>(columns.begin(), columns.end()).size(), columns.size()) << args;
    EXPECT_EQ(doc["rows"][0].size(), columns.size());  // no key lost to a duplicate
    EXPECT_TRUE(doc["rows"][0].contains("solver_method"));
    EXPECT_TRUE(doc["rows"][0].contains("method"));  // the model's own --method flag
  }
}

TEST(CliOutput, ColumnsSelectInEveryFormat) {
  const std::string args = "curve rf --alpha 1:2:3 --columns test_error,alpha";
  const CliResult csv = run_cli(args);
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_NE(csv.out.find("\ntest_error,alpha\n"), std::string::npos) << csv.out;
  const CliResult json = run_cli(args + " --format json");
  ASSERT_EQ(json.code, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["columns"], nlohmann::json({"test_error", "alpha"}));
  EXPECT_EQ(doc["rows"][0].size(), 2u);
  const CliResult table = run_cli(args + " --format table");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("test_error  alpha"), std::string::npos) << table.out;
  const CliResult bad = run_cli("simulate rf --alpha 0.5:4:20 --d 2000 --seeds 50 --columns test_eror");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--columns"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("test_error_mean"), std::string::npos) << bad.err;  // lists what exists
  EXPECT_TRUE(bad.out.empty());
}

TEST(CliOutput, TableFormatIsAlignedWithTheMainColumnsFirst) {
  const CliResult r = run_cli("curve rf --alpha 0.5:2:4 --lambda 1e-3 --format table");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream in(r.out);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    if (!l.empty() && l[0] != '#') lines.push_back(l);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(lines[0].rfind("alpha", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("test_error"), std::string::npos);
  EXPECT_EQ(lines[0].find("iterations"), std::string::npos);  // on request only
  for (const auto& l : lines) EXPECT_EQ(l.size(), lines[0].size()) << "not aligned:\n" << r.out;
  EXPECT_NE(r.out.find("more columns"), std::string::npos);
  EXPECT_NE(r.out.find("iterations"), std::string::npos);  // named in the closing line
}

TEST(CliOutput, JsonKeepsInfinitiesApartFromMissingValues) {
  // The ReLU NTK's slope is +∞ at ρ = 1 (the arc-cosine kernel of order 0 has a 1/√(1-ρ²) slope).
  const CliResult r = run_cli("curve kernel --activation relu --depth 2 --rho 0,1 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["rows"][1]["ntk_deriv"], "inf");
  EXPECT_TRUE(doc["rows"][0]["ntk_deriv"].is_number());
  // A non-converged point's outputs are missing: null.
  const CliResult nc = run_cli("curve rf --alpha 2 --beta 2 --lambda 0 --format json");
  EXPECT_EQ(nc.code, 3);
  EXPECT_TRUE(nlohmann::json::parse(nc.out)["rows"][0]["test_error"].is_null());
}

TEST(CliOutput, ValidateEndsWithASummaryLine) {
  const CliResult r = run_cli("validate rf --alpha 0.5,2 --d 100 --seeds 3 --rel-tol 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("rmtsolve: validate: 2 points, 2 passed, 0 failed, worst |z| = "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.back(), '\n');
}

TEST(CliOutput, BothSpellingsOfEveryFlagAndSuggestions) {
  const CliResult a = run_cli("curve kernel --rho 0.3 --b_std 0.5 --w-std 1.2");
  const CliResult b = run_cli("curve kernel --rho 0.3 --b-std 0.5 --w_std 1.2");
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  auto body = [](const std::string& s) { return s.substr(s.find("\nrho,")); };  // past the command line
  EXPECT_EQ(body(a.out), body(b.out));
  EXPECT_EQ(run_cli("validate rf --alpha 1 --d 50 --seeds 2 --k_sigma 3 --n_test 100 --rel_tol 1").code, 0);
  const CliResult typo = run_cli("curve rf --alpah 2");
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("did you mean --alpha?"), std::string::npos) << typo.err;
  const CliResult help = run_cli("curve kernel --help");
  EXPECT_NE(help.out.find("--b_std"), std::string::npos);
  EXPECT_EQ(help.out.find("--b-std"), std::string::npos);  // one canonical spelling in the help
}

TEST(CliOutput, NoModelHasDuplicateColumnNames) {
  for (const auto& m : rmtsolve::models())
    for (const char* kind : {"curve", "simulate", "validate"}) {
      if (std::string(kind) != "curve" && m->simulated_outputs().empty()) continue;
      const auto columns = rmtsolve::table_columns(*m, kind);
      EXPECT_EQ(std::set<std::string>(columns.begin(), columns.end()).size(), columns.size()) << m->name() << " " << kind;
    }
}

TEST_F(PlotDir, ProvenanceRecordsRevisionTimeBlasAndInputHashes) {
  const std::string spec = spectrum();
  const CliResult r = run_cli("curve gcm --spectrum " + spec + " --alpha 1 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto meta = nlohmann::json::parse(r.out)["metadata"];
  EXPECT_FALSE(meta["git_revision"].get<std::string>().empty());
  const std::string time = meta["time_utc"];
  ASSERT_EQ(time.size(), 20u) << time;  // 2026-11-30T21:07:25Z
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_NE(meta["blas"].get<std::string>().find("kernel "), std::string::npos) << meta["blas"];
  // The hash against coreutils' sha256sum of the same file.
  const std::string digest = path("digest");
  ASSERT_EQ(std::system(("sha256sum " + spec + " > " + digest).c_str()), 0);
  EXPECT_EQ(meta["sha256 " + spec], slurp(digest).substr(0, 64));
  // The teacher signal actually used is a column (here --rho's default, 1, with a spectrum).
  const auto row = nlohmann::json::parse(r.out)["rows"][0];
  EXPECT_NEAR(row["teacher_rho"].get<double>(), 1.0, 1e-15);
  // From covariance files it is tr(Psi)/k (here 1.1), whatever --rho says.
  std::ofstream(path("psi.csv")) << "1.1,0,0\n0,1.1,0\n0,0,1.1\n";
  std::ofstream(path("phi.csv")) << "0.5,0,0,0\n0,0.5,0,0\n0,0,0.5,0\n";
  std::ofstream(path("omega.csv")) << "1,0,0,0\n0,1,0,0\n0,0,1,0\n0,0,0,1\n";
  const CliResult f = run_cli("curve gcm --psi " + path("psi.csv") + " --phi " + path("phi.csv") + " --omega " +
                              path("omega.csv") + " --alpha 1 --format json");
  ASSERT_EQ(f.code, 0) << f.err;
  const auto doc = nlohmann::json::parse(f.out);
  EXPECT_NEAR(doc["rows"][0]["teacher_rho"].get<double>(), 1.1, 1e-12);  // a 3-term mean: round-off only
  EXPECT_TRUE(doc["metadata"].contains("sha256 " + path("psi.csv")));
}

// Every column of every table kind is explained: parameters by their flag help, outputs, Monte
// Carlo, verdict, solver and search columns by column_help (issue: "what is kappa_star?").
TEST(ColumnHelp, EveryColumnOfEveryModelIsDescribed) {
  for (const auto& m : rmtsolve::models())
    for (const char* kind : {"curve", "simulate", "validate"}) {
      if (std::string(kind) != "curve" && m->simulated_outputs().empty()) continue;
      rmtsolve::SearchSpec search;
      search.optimize = "lambda";
      search.reach = "test_error=0.1";
      search.over = "alpha";
      for (const auto& c : rmtsolve::table_columns(*m, kind, std::string(kind) == "curve" ? search : rmtsolve::SearchSpec{}))
        EXPECT_FALSE(rmtsolve::column_help(*m, c).empty()) << m->name() << " " << kind << ": column " << c;
      // Model-specific descriptions name real outputs (a typo would document a column that does not exist).
      auto outputs = m->outputs();
      for (const auto& o : m->simulated_outputs()) outputs.push_back(o);
      for (const auto& [name, help] : m->output_help()) {
        EXPECT_NE(std::find(outputs.begin(), outputs.end(), name), outputs.end()) << m->name() << ": " << name;
        EXPECT_FALSE(help.empty()) << m->name() << ": " << name;
      }
    }
}

TEST(ColumnHelp, ModelHelpListsItsOutputColumns) {
  const auto r = run_cli("curve rf --help");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Output columns"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kappa_star"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nu1"), std::string::npos) << r.out;
  const auto v = run_cli("validate srf --help");
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.out.find("test_error_z"), std::string::npos) << v.out;
}
