// rmtsolve command-line interface: curve / simulate / validate MODEL [flags].
// Exit codes: 0 success, 1 a validation verdict failed, 2 invalid input, 3 a point did not converge.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iomanip>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "distributed.hpp"
#include "provenance.hpp"
#include "rmtsolve/core/blas_kernel.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/engine/options.hpp"
#include "rmtsolve/io/output_file.hpp"
#include "rmtsolve/report/plot.hpp"
#include "rmtsolve/core/grid.hpp"
#include "rmtsolve/engine/suite.hpp"
#include "rmtsolve/engine/sweep.hpp"

namespace {

using namespace rmtsolve;

constexpr int kValidationFailed = 1, kInvalidInput = 2, kNotConverged = 3, kInterrupted = 130;

struct CommonFlags {
  std::string format = "csv", output, plot, config, columns;
  PlotOptions plot_options;
  bool logx = false, logy = false;
  std::string distribute = "auto";  // under mpirun: points | seeds | auto
  std::string precision = "float64";
  SolverOptions solver = [] {  // curves: one thread per core by default, as simulate's seeds
    SolverOptions o;
    o.threads = 0;
    return o;
  }();
  SimulationOptions simulation;
  ValidationTolerance tolerance;
  SearchSpec search;  // curve --optimize / --reach
};

struct ModelFlags {
  const Model* model = nullptr;
  std::map<std::string, std::string> values;  // flag name → text as given
  CLI::App* app = nullptr;
};

std::string format_default(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void add_solver_flags(CLI::App* sub, CommonFlags& c) {
  sub->add_option("--tolerance", c.solver.tolerance, "relative tolerance of the solver, in (0, 0.1]")->capture_default_str();
  sub->add_option("--max-iterations", c.solver.max_iterations, "iteration budget per point, in [1, 1e6]")->capture_default_str();
  sub->add_option("--damping", c.solver.damping, "weight of the old iterate in damped steps, in [0, 1)")->capture_default_str();
  sub->add_option("--anderson", c.solver.anderson_memory, "Anderson memory in [0, 100] (0: plain damped iteration)")->capture_default_str();
}

void add_search_flags(CLI::App* sub, CommonFlags& c) {
  sub->add_option("--optimize", c.search.optimize,
                  "PARAM: at every point, minimise --objective over PARAM (coarse scan, then Brent); column PARAM_opt");
  sub->add_option("--objective", c.search.objective,
                  "output minimised by --optimize (default test_error; classification_error for a sign/probit teacher)");
  sub->add_option("--bounds", c.search.bounds,
                  "LO:HI range of the --optimize parameter (default: lambda 1e-6:1e3 and time 1e-3:1e4 in log, eta 0:5, "
                  "ratios 1e-2:1e2 in log)");
  sub->add_option("--reach", c.search.reach,
                  "OUTPUT=VALUE: the smallest --over value at which OUTPUT falls to VALUE (first crossing); column PARAM_reach");
  sub->add_option("--over", c.search.over, "PARAM[:LO:HI] searched by --reach (e.g. alpha or alpha:0.1:50)");
}

void add_simulation_flags(CLI::App* sub, CommonFlags& c) {
  sub->add_option("--d", c.simulation.d, "input dimension of the simulated networks, in [1, 1e6]")->capture_default_str();
  sub->add_option("--seeds", c.simulation.seeds.seeds, "independent seeds per point, in [1, 1e5]")->capture_default_str();
  sub->add_option("--n-test", c.simulation.n_test, "fresh test samples per seed (0: model default)")->capture_default_str();
  // Digits only, below 2^64: "-1" and "18446744073709551616" must not wrap onto other seeds.
  sub->add_option("--seed", c.simulation.seeds.base_seed, "base seed in [0, 2^64); seed i uses stream (seed, i)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            errno = 0;
            const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
            if (!digits || (std::strtoull(text.c_str(), nullptr, 10), errno == ERANGE)) return "must be a whole number in [0, 2^64)";
            return {};
          },
          "UINT64"))
      ->capture_default_str();
  sub->add_option("--threads", c.simulation.seeds.threads, "worker threads (0: one per core)")->capture_default_str();
  sub->add_option("--precision", c.precision,
                  "float32: features (products and activation) in single precision, readout in double (rf, deep, srf)")
      ->check(CLI::IsMember({"float64", "float32"}))
      ->capture_default_str();
  sub->add_option("--distribute", c.distribute,
                  "under mpirun: spread grid points or the seeds of every point over ranks (auto: seeds when the "
                  "grid has fewer points than ranks)")
      ->check(CLI::IsMember({"auto", "points", "seeds"}))
      ->capture_default_str();
}

void add_plot_flags(CLI::App* sub, CommonFlags& c) {
  sub->add_option("--plot", c.plot, "also draw the table with gnuplot to FILE.svg, FILE.png or FILE.pdf");
  sub->add_option("--plot-style", c.plot_options.style, "2-D sweeps: one line per value of the second parameter, or a heatmap")
      ->check(CLI::IsMember({"auto", "lines", "heatmap"}))
      ->capture_default_str();
  sub->add_flag("--logx", c.logx, "log-scale x axis (default: when the grid is log-spaced)");
  sub->add_flag("--logy", c.logy, "log-scale y axis (default: on the panels of losses, and a log colour scale for the phase diagram)");
}

// The columns a table of this kind has besides the parameters (which are the flags above), each
// with its symbol and meaning: the answer to "what is kappa_star?" is in the help.
std::string output_columns_help(const Model& m, const std::string& kind) {
  std::set<std::string> parameters;
  for (const auto& p : m.numbers()) parameters.insert(p.name);
  for (const auto& p : m.texts()) parameters.insert(p.name);
  std::vector<std::string> columns;
  for (const auto& c : table_columns(m, kind))
    if (!parameters.count(c)) columns.push_back(c);
  size_t width = 0;
  for (const auto& c : columns) width = std::max(width, c.size());
  std::string out = "Output columns (besides the parameters):\n";
  for (const auto& c : columns) out += "  " + c + std::string(width + 2 - c.size(), ' ') + column_help(m, c) + "\n";
  return out;
}

// Registers one subcommand per model under `parent`, with the model's parameters as flags.
std::vector<ModelFlags*> add_model_subcommands(CLI::App* parent, const std::string& kind, CommonFlags& c,
                                               std::map<std::string, ModelFlags>& store) {
  std::vector<ModelFlags*> out;
  for (const auto& m : models()) {
    if (kind != "curve" && m->simulated_outputs().empty()) continue;
    ModelFlags& f = store[kind + "/" + m->name()];
    f.model = m.get();
    f.app = parent->add_subcommand(m->name(), m->description());
    for (const auto& p : m->numbers())
      f.app->add_option("--" + p.name, f.values[p.name], p.help + "; value or grid a:b:n[:log] or list")
          ->default_str(format_default(p.default_value));
    for (const auto& p : m->texts())
      f.app->add_option("--" + p.name, f.values[p.name], p.help)->default_str(p.default_value);
    f.app->add_option("--format", c.format, "output format (table: aligned, 6 significant digits, main columns)")
        ->check(CLI::IsMember({"csv", "json", "table"}))
        ->capture_default_str();
    f.app->add_option("--columns", c.columns, "only these columns, in this order (comma list; 'all' in table format)");
    f.app->add_option("--output", c.output, "write the table to FILE instead of stdout (checked before computing; a regular file is replaced atomically, a device or FIFO written into)");
    add_plot_flags(f.app, c);
    f.app->add_option("--config", c.config, "JSON file of flag: value pairs (flags on the command line win)");
    f.app->footer(output_columns_help(*m, kind));
    if (kind != "simulate") add_solver_flags(f.app, c);
    if (kind == "curve") add_search_flags(f.app, c);
    if (kind == "curve")  // same flag as simulate's; models that allow it split long curves into segments
      f.app->add_option("--threads", c.solver.threads,
                        m->concurrent_points()
                            ? "worker threads (0: one per core): a long curve is split into warm-started segments of at least "
                              "16 points, one per thread"
                            : "worker threads (0: one per core); unused by this model, which solves a curve on one thread")
          ->capture_default_str();
    if (kind != "curve") add_simulation_flags(f.app, c);
    if (kind == "validate") {
      f.app->add_option("--k-sigma", c.tolerance.k_sigma, "allowed standard errors, in [0, 100]")->capture_default_str();
      f.app->add_option("--rel-tol", c.tolerance.rel_tol, "relative finite-size allowance in [0, 1] (default: the model's)");
    }
    out.push_back(&f);
  }
  return out;
}

SweepSpec sweep_spec(const ModelFlags& f) {
  SweepSpec spec;
  for (const auto& p : f.model->numbers()) {
    const CLI::Option* opt = f.app->get_option("--" + p.name);
    if (opt->count() > 0) spec.grids[p.name] = parse_grid(f.values.at(p.name), p.name);
  }
  for (const auto& p : f.model->texts())
    if (f.app->get_option("--" + p.name)->count() > 0) spec.texts[p.name] = f.values.at(p.name);
  return spec;
}

std::string flag_name(const std::string& parameter, const CLI::App* app) {
  if (app)
    try {
      app->get_option("--" + parameter);
      return "--" + parameter;
    } catch (const CLI::OptionNotFound&) {
    }
  return parameter;
}

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

// The same ranges as config files, suites and Python (rmtsolve/engine/options.hpp).  --rel-tol is checked
// only when given: its default is the "model's allowance" marker.
void validate_common(const CommonFlags& c, const CLI::App* app, const std::string& kind) {
  check_simulation_options(c.simulation);
  check_solver_options(c.solver);
  check_verdict_options(c.tolerance);
  if (kind == "validate" && app->get_option("--rel-tol")->count() > 0) check_rel_tol(c.tolerance.rel_tol);
}

// The table is the product: when it cannot be written where asked (disk full, a device refusing
// it), it goes to stdout rather than being lost, and the error says so.
void write_or_fall_back(const Table& t, const std::string& format, const std::string& output,
                        const std::vector<std::string>& hidden = {}) {
  try {
    t.write(format, output, hidden);
  } catch (const InvalidInput& e) {
    if (output.empty() || output == "-" || e.parameter() != "output") throw;
    std::cout << (format == "json" ? t.to_json() : format == "table" ? t.to_text(hidden) : t.to_csv()) << std::flush;
    throw InvalidInput("output", std::string(e.what()).substr(e.parameter().size() + 2) +
                                     "; the table was written to standard output instead");
  }
}

std::string solver_description(const SolverOptions& s) {
  std::ostringstream o;
  o << "tolerance=" << format_exact(s.tolerance) << " max_iterations=" << s.max_iterations
    << " damping=" << format_exact(s.damping) << " anderson=" << s.anderson_memory;
  return o.str();
}

// Whatever a message quotes (a 100 KB value, a newline inside a text flag), it stays one line of
// bounded length: control characters become '?', a word (a quoted value) longer than 60 characters
// keeps its first 60 and says how long it was, so the reason after it is still read; the tail
// beyond 300 characters is cut.
std::string one_line(const std::string& message) {
  constexpr std::size_t kWord = 60, kLine = 300;
  std::string s;
  std::size_t word = 0;
  auto close_word = [&] {
    if (word > kWord) s += "...(" + std::to_string(word) + " characters)";
    word = 0;
  };
  for (char c : message) {
    if (c == ' ') {
      close_word();
      s += ' ';
    } else if (++word <= kWord) {
      s += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    }
  }
  close_word();
  return s.size() > kLine ? s.substr(0, kLine) + "..." : s;
}

std::string invalid_message(const InvalidInput& e, const CLI::App* app) {
  const std::string what = e.what();
  const std::string flag = flag_name(e.parameter(), app);
  return one_line("rmtsolve: error: " + (e.parameter().empty() ? what : flag + what.substr(e.parameter().size())));
}

int report_invalid(const InvalidInput& e, const CLI::App* app) {
  std::cerr << invalid_message(e, app) << "\n";
  return kInvalidInput;
}

bool ends_with_json(const std::string& arg) {
  return arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".json") == 0;
}

// Where `validate NAME` looks for a suite: the path as given, then the installed suites
// (<exe dir>/../share/rmtsolve/validation), then — only for a binary inside this build tree — the
// source tree's validation/.  So `rmtsolve validate srf_notebook_s2` works wherever rmtsolve is.
std::vector<std::filesystem::path> suite_candidates(const std::string& arg) {
  namespace fs = std::filesystem;
  const std::string file = ends_with_json(arg) ? arg : arg + ".json";
  std::vector<fs::path> out{fs::path(arg)};
  if (!ends_with_json(arg)) out.emplace_back(file);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return out;
  const fs::path exe_dir = exe.parent_path();
  out.push_back(exe_dir / ".." / "share" / "rmtsolve" / "validation" / fs::path(file).filename());
#ifdef RMTSOLVE_BUILD_DIR
  const fs::path build = fs::weakly_canonical(RMTSOLVE_BUILD_DIR, ec);
  const fs::path here = fs::weakly_canonical(exe_dir, ec);
  const auto [b, h] = std::mismatch(build.begin(), build.end(), here.begin(), here.end());
  if (!ec && b == build.end()) out.push_back(fs::path(RMTSOLVE_SOURCE_DIR) / "validation" / fs::path(file).filename());
#endif
  return out;
}

// The suite file `validate ARG` names, or "" when ARG names none (e.g. it is a model).
std::string resolve_suite(const std::string& arg) {
  if (arg.empty() || arg[0] == '-') return "";
  for (const auto& candidate : suite_candidates(arg)) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate.lexically_normal().string();
  }
  return "";
}

bool is_model_name(const std::string& arg) {
  for (const auto& m : models())
    if (m->name() == arg) return true;
  return false;
}

// A suite argument ends in .json, or is not a model's name and names an existing suite.
bool is_suite_argument(const std::string& arg) {
  return ends_with_json(arg) || (!is_model_name(arg) && !resolve_suite(arg).empty());
}

// Columns of `--columns a,b` (or, in table format without --columns, the swept parameters and the
// plotted outputs): checked against the table's known columns before anything is computed.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

void check_columns(const std::string& columns, const std::vector<std::string>& known) {
  for (const auto& c : split_list(columns))
    if (c != "all" && std::find(known.begin(), known.end(), c) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ",") + k;
      throw InvalidInput("columns", "unknown column '" + c + "' (columns: " + list + ")");
    }
}

// Table format without --columns: the swept parameters, the plotted outputs with their Monte Carlo
// and verdict columns; the rest is listed at the end.
std::vector<std::string> headline_columns(const Model& model, const Table& t) {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (std::find(t.columns.begin(), t.columns.end(), c) != t.columns.end() && std::find(out.begin(), out.end(), c) == out.end())
      out.push_back(c);
  };
  for (const auto& p : model.numbers()) {
    const auto col = std::find(t.columns.begin(), t.columns.end(), p.name) - t.columns.begin();
    bool swept = false;
    for (const auto& row : t.rows)
      swept = swept || (std::holds_alternative<double>(row[col]) && std::get<double>(row[col]) != std::get<double>(t.rows.front()[col]));
    if (swept) add(p.name);
  }
  for (const auto& c : t.columns)  // a search's answers (--optimize / --reach)
    if ((c.size() > 4 && c.compare(c.size() - 4, 4, "_opt") == 0) || (c.size() > 6 && c.compare(c.size() - 6, 6, "_reach") == 0))
      add(c);
  for (const auto& panel : table_plot_hint(model, t).panels)
    for (const auto& o : panel.outputs)
      for (const char* suffix : {"", "_theory", "_mean", "_se", "_z"}) add(o + suffix);
  for (const char* c : {"converged", "verdict"}) add(c);
  return out;
}

void write_table(const Model& model, const Table& t, const std::string& format, const std::string& output,
                 const std::string& columns) {
  const auto chosen = split_list(columns);
  if (!chosen.empty() && chosen != std::vector<std::string>{"all"}) return write_or_fall_back(t.select(chosen), format, output);
  if (format != "table" || !chosen.empty()) return write_or_fall_back(t, format, output);
  const auto shown = headline_columns(model, t);
  std::vector<std::string> hidden;
  for (const auto& c : t.columns)
    if (std::find(shown.begin(), shown.end(), c) == shown.end()) hidden.push_back(c);
  write_or_fall_back(t.select(shown), format, output, hidden);
}

// One line on stderr closing every validation: points, passed, failed and the worst z-score.
void print_validation_summary(const Model& model, const Table& t) {
  int passed = 0, failed = 0;
  double worst = -1.0;
  std::string where;
  const auto verdict = std::find(t.columns.begin(), t.columns.end(), "verdict") - t.columns.begin();
  for (const auto& row : t.rows) {
    if (verdict < static_cast<long>(row.size()) && std::holds_alternative<std::string>(row[verdict]))
      (std::get<std::string>(row[verdict]) == "PASS" ? passed : failed) += 1;
    for (size_t c = 0; c < t.columns.size(); ++c) {
      const std::string& name = t.columns[c];
      if (name.size() < 2 || name.compare(name.size() - 2, 2, "_z") != 0 || !std::holds_alternative<double>(row[c])) continue;
      const double z = std::abs(std::get<double>(row[c]));
      if (!(z > worst)) continue;
      worst = z;
      std::ostringstream w;
      w << name.substr(0, name.size() - 2) << " at";
      for (const auto& p : model.numbers()) {
        const auto pc = std::find(t.columns.begin(), t.columns.end(), p.name) - t.columns.begin();
        bool swept = false;
        for (const auto& r : t.rows) swept = swept || std::get<double>(r[pc]) != std::get<double>(t.rows.front()[pc]);
        if (swept) w << " " << p.name << "=" << std::get<double>(row[pc]);
      }
      where = w.str();
    }
  }
  std::ostringstream line;
  line << "rmtsolve: validate: " << t.rows.size() << " points, " << passed << " passed, " << failed << " failed";
  if (worst >= 0.0) line << ", worst |z| = " << std::setprecision(3) << worst << " (" << where << ")";
  std::cerr << line.str() << "\n";
}

// Both spellings of every flag (--b-std, --b_std) and a suggestion for a misspelt one.  CLI11 would
// only say "The following arguments were not expected".  Returns the arguments with every flag in
// its canonical spelling; throws InvalidInput naming the flag otherwise.
std::string dashes(std::string s) {
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

void canonical_flags(const CLI::App* app, std::vector<std::string>& args, size_t first, const std::string& context) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app->get_options())
    for (const auto& l : o->get_lnames()) names.push_back(l);
  for (size_t i = first; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) continue;
    const size_t eq = a.find('=');
    const std::string given = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const std::string rest = eq == std::string::npos ? "" : a.substr(eq);
    if (std::find(names.begin(), names.end(), given) != names.end()) continue;
    std::string best;
    size_t best_distance = std::string::npos;
    for (const auto& n : names) {
      if (dashes(n) == dashes(given)) {
        best = n;
        best_distance = 0;
        break;
      }
      const size_t d = edit_distance(dashes(n), dashes(given));
      if (d < best_distance) {
        best = n;
        best_distance = d;
      }
    }
    if (best_distance == 0) {
      a = "--" + best + rest;
      continue;
    }
    if (best_distance <= std::max<size_t>(2, given.size() / 3))
      throw InvalidInput("", "unknown flag --" + given + " for " + context + "; did you mean --" + best + "?");
    throw InvalidInput("", "unknown flag --" + given + " for " + context + " (see " + context + " --help)");
  }
}

// `rmtsolve validate validation/<suite>.json [--reduced]`: every run of the suite, one table.
int run_suite_command(int argc, char** argv) {
  CLI::App app{"rmtsolve validate SUITE: run a validation suite (validation/*.json)"};
  std::string path, format = "csv", output, columns;
  CommonFlags drawing;  // --plot and its options, as for a single run
  bool reduced = false;
  int d = 0, seeds = 0, threads = 0;
  double k_sigma = -1.0;
  app.add_option("suite", path, "suite file, or the name of an installed suite (e.g. srf_notebook_s2)")->required();
  app.add_flag("--reduced", reduced, "use the suite's reduced (CI) Monte Carlo size");
  app.add_option("--d", d, "override the input dimension");
  app.add_option("--seeds", seeds, "override the number of seeds");
  app.add_option("--threads", threads, "worker threads (0: one per core)");
  app.add_option("--k-sigma", k_sigma, "override the allowed standard errors");
  app.add_option("--format", format, "output format")->check(CLI::IsMember({"csv", "json", "table"}));
  app.add_option("--columns", columns, "only these columns, in this order (comma list)");
  app.add_option("--output", output, "write the table to FILE");
  add_plot_flags(&app, drawing);
  const std::string& plot = drawing.plot;
  try {
    std::vector<std::string> args(argv + 2, argv + argc);
    canonical_flags(&app, args, 0, "rmtsolve validate SUITE");
    std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector of arguments
    app.name(std::string(argv[0]) + " validate");
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << one_line(std::string("rmtsolve: error: ") + e.what()) << "\n";
    return kInvalidInput;
  } catch (const InvalidInput& e) {
    return report_invalid(e, nullptr);
  }
  try {
    const std::string found = resolve_suite(path);
    std::error_code ec;
    if (found.empty() && std::filesystem::is_directory(path, ec))
      throw InvalidInput("suite", "'" + path + "' is a directory, not a suite file");
    if (found.empty()) {
      std::string looked;
      for (const auto& c : suite_candidates(path)) looked += (looked.empty() ? "" : ", ") + c.lexically_normal().string();
      throw InvalidInput("suite", "no suite '" + path + "' (looked in: " + looked + ")");
    }
    path = found;
    if (!plot.empty()) check_plot_target(plot);
    drawing.plot_options.logx = drawing.logx ? 1 : -1;
    drawing.plot_options.logy = drawing.logy ? 1 : -1;
    const Suite suite = load_suite(path);
    check_columns(columns, table_columns(find_model(suite.model), "validate"));
    SimulationOptions sim = reduced ? suite.reduced : suite.full;
    // Overrides count when given, whatever their value: a refused value is an error, not ignored.
    if (app.get_option("--d")->count() > 0) sim.d = d;
    if (app.get_option("--seeds")->count() > 0) sim.seeds.seeds = seeds;
    sim.seeds.threads = threads;
    ValidationTolerance tol = suite.tolerance;
    if (app.get_option("--k-sigma")->count() > 0) tol.k_sigma = k_sigma;
    check_simulation_options(sim);
    check_verdict_options(tol);
    check_output_path(output, "output");
    const Model& model = find_model(suite.model);
    SweepOutcome all;
    Table theory;
    for (const SweepSpec& run : suite.runs) {
      SweepOutcome out = run_validation(model, run, SolverOptions{}, sim, tol);
      if (!plot.empty() && !out.interrupted) {
        Table dense = dense_theory(model, run, SolverOptions{});
        if (theory.columns.empty()) theory = dense;
        else theory.rows.insert(theory.rows.end(), dense.rows.begin(), dense.rows.end());
      }
      if (all.table.columns.empty()) all.table = out.table;
      else all.table.rows.insert(all.table.rows.end(), out.table.rows.begin(), out.table.rows.end());
      all.failed_points += out.failed_points;
      all.notes.insert(all.notes.end(), out.notes.begin(), out.notes.end());
      if (out.interrupted) {
        all.interrupted = true;
        break;
      }
    }
    all.table.metadata.emplace_back("suite", path);
    all.table.metadata.emplace_back("description", suite.description);
    all.table.metadata.emplace_back("command", command_line(argc, argv));
    cli::add_provenance(all.table, threads, {path});
    write_table(model, all.table, format, output, columns);
    if (!plot.empty()) plot_table(model, all.table, plot, drawing.plot_options, theory.rows.empty() ? nullptr : &theory);
    print_validation_summary(model, all.table);
    for (const auto& note : all.notes) std::cerr << "rmtsolve: " << note << "\n";
    if (all.interrupted) {
      std::cerr << "rmtsolve: interrupted; " << all.table.rows.size() << " finished points written\n";
      return kInterrupted;
    }
    if (all.failed_points > 0) {
      std::cerr << "rmtsolve: " << all.failed_points << " of " << all.table.rows.size() << " points failed validation\n";
      return kValidationFailed;
    }
  } catch (const Interrupted&) {
    std::cerr << "rmtsolve: interrupted\n";
    return kInterrupted;
  } catch (const InvalidInput& e) {
    return report_invalid(e, &app);
  } catch (const std::bad_alloc&) {
    std::cerr << "rmtsolve: error: suite " << one_line(path) << ": out of memory; try --reduced or smaller --d/--seeds\n";
    return kInvalidInput;
  } catch (const std::exception& e) {
    std::cerr << one_line(std::string("rmtsolve: error: ") + e.what()) << "\n";
    return kInvalidInput;
  }
  return 0;
}

// `--config FILE`: a JSON object of flag: value pairs, spliced into the command line unless the same
// flag is given there.  Lists become comma lists, so {"alpha": [0.5, 1, 2]} is a grid.
std::vector<std::string> expand_config(const std::vector<std::string>& args) {
  std::vector<std::string> out = args;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != "--config") continue;
    std::error_code ec;
    if (std::filesystem::is_directory(args[i + 1], ec))
      throw InvalidInput("config", "'" + args[i + 1].substr(0, 60) + "' is a directory, not a JSON file");
    std::ifstream in(args[i + 1]);
    if (!in) throw InvalidInput("config", "cannot open '" + args[i + 1].substr(0, 60) + "'");
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {  // syntax errors and number overflow alike
      throw InvalidInput("config", args[i + 1] + ": malformed JSON: " + e.what());
    }
    if (!doc.is_object()) throw InvalidInput("config", args[i + 1] + ": must be a JSON object of flag: value");
    for (const auto& [key, value] : doc.items()) {
      const std::string flag = "--" + key;
      // Given on the command line as "--flag value" or "--flag=value": the command line wins.
      if (std::any_of(args.begin(), args.end(),
                      [&](const std::string& a) { return a == flag || a.rfind(flag + "=", 0) == 0; }))
        continue;
      std::string text;
      if (value.is_string()) text = value.get<std::string>();
      else if (value.is_array()) {
        for (const auto& v : value) text += (text.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
      } else text = value.dump();
      out.push_back(flag);
      out.push_back(text);
    }
  }
  return out;
}


}  // namespace

int run(int argc, char** argv);
cli::Distributed g_distributed;

int main(int argc, char** argv) {
  // Before MPI and before any thread: this may restart the process with a faster BLAS kernel.
  blas::select_kernel_or_reexec(argv);
  const cli::Distributed distributed = cli::start_distributed(argc, argv);
  g_distributed = distributed;
  std::vector<std::string> args(argv, argv + argc);
  try {
    args = expand_config(args);
    // `rmtsolve phase ...` is the phase diagram of the exact linear-network dynamics: a curve of the
    // linear-phase model over its hyperparameter grid.
    if (args.size() >= 2 && args[1] == "phase") {
      args[1] = "linear-phase";
      args.insert(args.begin() + 1, "curve");
    }
  } catch (const InvalidInput& e) {
    return report_invalid(e, nullptr);
  }
  std::vector<char*> expanded;
  for (auto& a : args) expanded.push_back(a.data());
  const int code = run(static_cast<int>(expanded.size()), expanded.data());
  cli::stop_distributed(distributed);
  return code;
}

int run(int argc, char** argv) {
  install_interrupt_handler();
  if (argc >= 3 && std::string(argv[1]) == "validate" && is_suite_argument(argv[2])) return run_suite_command(argc, argv);

  CLI::App app{"rmtsolve " RMTSOLVE_VERSION ": learning curves of neural-network models in the proportional limit"};
  app.set_version_flag("--version", std::string(RMTSOLVE_VERSION));
  app.require_subcommand(1);
  CommonFlags common;
  std::map<std::string, ModelFlags> store;
  std::map<std::string, std::vector<ModelFlags*>> by_kind;
  for (const auto& [kind, help] : std::vector<std::pair<std::string, std::string>>{
           {"curve", "print the theory learning curve of a model"},
           {"simulate", "print the Monte Carlo table (mean, standard error over seeds)"},
           {"validate", "theory and Monte Carlo side by side, with a verdict per point"}}) {
    CLI::App* cmd = app.add_subcommand(kind, kind == "validate" ? help + " (or: validate SUITE.json [--reduced])" : help);
    cmd->require_subcommand(1);
    by_kind[kind] = add_model_subcommands(cmd, kind, common, store);
  }
  CLI::App* list = app.add_subcommand("models", "list the models and their parameters");
  // Listed for --help only: main() rewrites `phase ...` to `curve linear-phase ...` before parsing.
  app.add_subcommand("phase", "phase diagram of the exact two-layer linear dynamics (= curve linear-phase ...)");

  // CLI11 would only say "a subcommand is required" for a misspelt model name.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (argc >= 3 && by_kind.count(argv[1]) && argv[2][0] != '-') {
    try {
      find_model(argv[2]);
      canonical_flags(store.at(std::string(argv[1]) + "/" + argv[2]).app, args, 2,
                      std::string("rmtsolve ") + argv[1] + " " + argv[2]);
    } catch (const std::out_of_range&) {  // e.g. simulate of a theory-only model: CLI11 says so
    } catch (const InvalidInput& e) {
      if (g_distributed.rank == 0) std::cerr << one_line(std::string("rmtsolve: error: ") + e.what()) << "\n";
      return kInvalidInput;
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector of arguments
  app.name(argv[0]);
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (g_distributed.rank == 0) std::cerr << one_line(std::string("rmtsolve: error: ") + e.what()) << "\n";
    return kInvalidInput;
  }

  if (list->parsed()) {
    for (const auto& m : models()) {
      std::cout << m->name() << ": " << m->description() << "\n";
      for (const auto& p : m->numbers()) std::cout << "  --" << p.name << "  " << p.help << "\n";
      for (const auto& p : m->texts()) std::cout << "  --" << p.name << "  " << p.help << "\n";
    }
    return 0;
  }

  std::string kind;
  const ModelFlags* chosen = nullptr;
  for (const auto& [k, flags] : by_kind)
    for (const ModelFlags* f : flags)
      if (f->app->parsed()) {
        kind = k;
        chosen = f;
      }
  // Everything that can be refused is checked before any work, identically on every rank; the
  // ranks then agree on the first refusal, so that an MPI job either starts everywhere or ends
  // everywhere with the same one-line message (only rank 0 prints it).
  cli::Verdict upfront;
  SweepSpec spec;
  bool split_seeds = false;
  try {
    if (!common.plot.empty()) check_plot_target(common.plot);
    common.plot_options.logx = common.logx ? 1 : -1;
    common.plot_options.logy = common.logy ? 1 : -1;
    check_columns(common.columns, table_columns(*chosen->model, kind, common.search));
    validate_common(common, chosen->app, kind);
    common.simulation.single_precision = common.precision == "float32";
    spec = sweep_spec(*chosen);
    if (!common.plot.empty() && common.plot_options.style == "heatmap" &&
        std::count_if(spec.grids.begin(), spec.grids.end(), [](const auto& g) { return g.second.size() > 1; }) < 2)
      throw InvalidInput("plot-style", "heatmap needs two swept parameters");
    const size_t points = expand(*chosen->model, spec).size();
    split_seeds = kind != "curve" && g_distributed.size > 1 &&
                  (common.distribute == "seeds" ||
                   (common.distribute == "auto" && points < static_cast<size_t>(g_distributed.size)));
    if (g_distributed.rank == 0) check_output_path(common.output, "output");
  } catch (const InvalidInput& e) {
    upfront = {kInvalidInput, invalid_message(e, chosen->app)};
  } catch (const std::exception& e) {
    upfront = {kInvalidInput, one_line(std::string("rmtsolve: error: ") + e.what())};
  }
  upfront = cli::agree(upfront, g_distributed);
  if (upfront.code != 0) {
    if (g_distributed.rank == 0) std::cerr << upfront.message << "\n";
    return upfront.code;
  }
  // From here on an error on one rank ends the whole job (cli::end_job) instead of leaving the
  // others waiting for it in a collective.
  std::string failure;
  try {
    if (split_seeds) {
      cli::share_seeds(common.simulation, g_distributed);
    } else {
      spec.shard = g_distributed.rank;
      spec.shard_count = g_distributed.size;
    }
    SweepOutcome out;
    if (kind == "curve") out = run_curve(*chosen->model, spec, common.solver, common.search);
    if (kind == "simulate") out = run_simulation(*chosen->model, spec, common.simulation);
    if (kind == "validate") out = run_validation(*chosen->model, spec, common.solver, common.simulation, common.tolerance);
    if (!split_seeds) out = cli::gather(out, g_distributed);
    if (g_distributed.rank != 0) return 0;  // rank 0 writes the table and reports
    if (split_seeds) out.table.metadata.emplace_back("mpi_ranks", std::to_string(g_distributed.size) + " (seeds split)");
    out.table.metadata.emplace_back("command", command_line(argc, argv));
    if (kind != "simulate") out.table.metadata.emplace_back("solver", solver_description(common.solver));
    if (!common.config.empty()) out.table.metadata.emplace_back("config", common.config);
    std::vector<std::string> inputs;
    for (const auto& [name, value] : spec.texts)
      if (!value.empty() && std::filesystem::is_regular_file(value)) inputs.push_back(value);
    if (!common.config.empty()) inputs.push_back(common.config);
    cli::add_provenance(out.table, kind == "curve" ? -1 : common.simulation.seeds.threads, inputs);
    write_table(*chosen->model, out.table, common.format, common.output, common.columns);
    if (!common.plot.empty()) {
      // The theory is cheap: under Monte Carlo points it is drawn as a dense curve.
      Table theory;
      if (kind == "validate" && !out.interrupted) theory = dense_theory(*chosen->model, sweep_spec(*chosen), common.solver);
      plot_table(*chosen->model, out.table, common.plot, common.plot_options, theory.rows.empty() ? nullptr : &theory);
    }
    if (kind == "validate") print_validation_summary(*chosen->model, out.table);
    for (const auto& note : out.notes) std::cerr << "rmtsolve: " << note << "\n";
    if (out.interrupted) {
      std::cerr << "rmtsolve: interrupted; " << out.table.rows.size() << " finished points written\n";
      return kInterrupted;
    }
    if (out.failed_points > 0) {
      std::cerr << "rmtsolve: " << out.failed_points << " of " << out.table.rows.size() << " points "
                << (kind == "validate" ? "failed validation" : kind == "simulate" ? "gave no finite estimate" : "did not converge") << "\n";
      return kind == "validate" ? kValidationFailed : kNotConverged;
    }
  } catch (const Interrupted&) {  // e.g. during the dense theory of a plot, after the table was written
    std::cerr << "rmtsolve: interrupted\n" << std::flush;
    cli::end_job(kInterrupted, g_distributed);
    return kInterrupted;
  } catch (const InvalidInput& e) {
    failure = invalid_message(e, chosen->app);
  } catch (const std::bad_alloc&) {
    failure = "rmtsolve: error: model " + chosen->model->name() +
              ": out of memory (std::bad_alloc); reduce --d, --seeds, --n-test or the grid";
  } catch (const std::exception& e) {
    failure = one_line(std::string("rmtsolve: error: ") + e.what());
  }
  if (!failure.empty()) {
    std::cerr << failure << "\n" << std::flush;
    cli::end_job(kInvalidInput, g_distributed);
    return kInvalidInput;
  }
  return 0;
}
