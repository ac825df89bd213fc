// rmtsolve command-line interface: curve / simulate / validate MODEL [flags].
// Exit codes: 0 success, 1 a validation verdict failed, 2 invalid input, 3 a point did not converge.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "distributed.hpp"
#include "rmtsolve/error.hpp"
#include "rmtsolve/interrupt.hpp"
#include "rmtsolve/options.hpp"
#include "rmtsolve/output_file.hpp"
#include "rmtsolve/plot.hpp"
#include "rmtsolve/grid.hpp"
#include "rmtsolve/suite.hpp"
#include "rmtsolve/sweep.hpp"

namespace {

using namespace rmtsolve;

constexpr int kValidationFailed = 1, kInvalidInput = 2, kNotConverged = 3, kInterrupted = 130;

struct CommonFlags {
  std::string format = "csv", output, plot, config;
  std::string distribute = "auto";  // under mpirun: points | seeds | auto
  std::string precision = "float64";
  SolverOptions solver;
  SimulationOptions simulation;
  ValidationTolerance tolerance;
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
                  "float32: features (products and activation) in single precision, readout in double (rf, deep)")
      ->check(CLI::IsMember({"float64", "float32"}))
      ->capture_default_str();
  sub->add_option("--distribute", c.distribute,
                  "under mpirun: spread grid points or the seeds of every point over ranks (auto: seeds when the "
                  "grid has fewer points than ranks)")
      ->check(CLI::IsMember({"auto", "points", "seeds"}))
      ->capture_default_str();
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
    f.app->add_option("--format", c.format, "output format")->check(CLI::IsMember({"csv", "json"}))->capture_default_str();
    f.app->add_option("--output", c.output, "write the table to FILE instead of stdout (checked before computing; a regular file is replaced atomically, a device or FIFO written into)");
    f.app->add_option("--plot", c.plot, "also draw the table with gnuplot to FILE.svg or FILE.png");
    f.app->add_option("--config", c.config, "JSON file of flag: value pairs (flags on the command line win)");
    if (kind != "simulate") add_solver_flags(f.app, c);
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

// The same ranges as config files, suites and Python (rmtsolve/options.hpp).  --rel-tol is checked
// only when given: its default is the "model's allowance" marker.
void validate_common(const CommonFlags& c, const CLI::App* app, const std::string& kind) {
  check_simulation_options(c.simulation);
  check_solver_options(c.solver);
  check_verdict_options(c.tolerance);
  if (kind == "validate" && app->get_option("--rel-tol")->count() > 0) check_rel_tol(c.tolerance.rel_tol);
}

// The table is the product: when it cannot be written where asked (disk full, a device refusing
// it), it goes to stdout rather than being lost, and the error says so.
void write_table(const Table& t, const std::string& format, const std::string& output) {
  try {
    t.write(format, output);
  } catch (const InvalidInput& e) {
    if (output.empty() || output == "-" || e.parameter() != "output") throw;
    std::cout << (format == "json" ? t.to_json() : t.to_csv()) << std::flush;
    throw InvalidInput("output", std::string(e.what()).substr(e.parameter().size() + 2) +
                                     "; the table was written to standard output instead");
  }
}

std::string solver_description(const SolverOptions& s) {
  std::ostringstream o;
  o << "tolerance=" << s.tolerance << " max_iterations=" << s.max_iterations << " damping=" << s.damping
    << " anderson=" << s.anderson_memory;
  return o.str();
}

// Whatever a message quotes (a 100 KB value, a newline inside a text flag), it stays one line of
// bounded length: control characters become '?', and the tail beyond 300 characters is cut.
std::string one_line(const std::string& message) {
  std::string s;
  for (char c : message.substr(0, 300)) s += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return message.size() > 300 ? s + "..." : s;
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

// `rmtsolve validate validation/<suite>.json [--reduced]`: every run of the suite, one table.
int run_suite_command(int argc, char** argv) {
  CLI::App app{"rmtsolve validate SUITE: run a validation suite (validation/*.json)"};
  std::string path, format = "csv", output, plot;
  bool reduced = false;
  int d = 0, seeds = 0, threads = 0;
  double k_sigma = -1.0;
  app.add_option("suite", path, "suite file")->required();
  app.add_flag("--reduced", reduced, "use the suite's reduced (CI) Monte Carlo size");
  app.add_option("--d", d, "override the input dimension");
  app.add_option("--seeds", seeds, "override the number of seeds");
  app.add_option("--threads", threads, "worker threads (0: one per core)");
  app.add_option("--k-sigma", k_sigma, "override the allowed standard errors");
  app.add_option("--format", format, "output format")->check(CLI::IsMember({"csv", "json"}));
  app.add_option("--output", output, "write the table to FILE");
  app.add_option("--plot", plot, "also draw the table with gnuplot to FILE.svg or FILE.png");
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << one_line(std::string("rmtsolve: error: ") + e.what()) << "\n";
    return kInvalidInput;
  }
  try {
    const Suite suite = load_suite(path);
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
    for (const SweepSpec& run : suite.runs) {
      SweepOutcome out = run_validation(model, run, SolverOptions{}, sim, tol);
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
    write_table(all.table, format, output);
    if (!plot.empty()) plot_table(model, all.table, plot);
    for (const auto& note : all.notes) std::cerr << "rmtsolve: " << note << "\n";
    if (all.interrupted) {
      std::cerr << "rmtsolve: interrupted; " << all.table.rows.size() << " finished points written\n";
      return kInterrupted;
    }
    if (all.failed_points > 0) {
      std::cerr << "rmtsolve: " << all.failed_points << " of " << all.table.rows.size() << " points failed validation\n";
      return kValidationFailed;
    }
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

bool is_suite_argument(const std::string& arg) {
  return arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".json") == 0;
}

}  // namespace

int run(int argc, char** argv);
cli::Distributed g_distributed;

int main(int argc, char** argv) {
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
  if (argc >= 3 && by_kind.count(argv[1]) && argv[2][0] != '-') {
    try {
      find_model(argv[2]);
    } catch (const InvalidInput& e) {
      if (g_distributed.rank == 0) std::cerr << one_line(std::string("rmtsolve: error: ") + e.what()) << "\n";
      return kInvalidInput;
    }
  }
  try {
    app.parse(argc, argv);
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
    validate_common(common, chosen->app, kind);
    common.simulation.single_precision = common.precision == "float32";
    spec = sweep_spec(*chosen);
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
    if (kind == "curve") out = run_curve(*chosen->model, spec, common.solver);
    if (kind == "simulate") out = run_simulation(*chosen->model, spec, common.simulation);
    if (kind == "validate") out = run_validation(*chosen->model, spec, common.solver, common.simulation, common.tolerance);
    if (!split_seeds) out = cli::gather(out, g_distributed);
    if (g_distributed.rank != 0) return 0;  // rank 0 writes the table and reports
    if (split_seeds) out.table.metadata.emplace_back("mpi_ranks", std::to_string(g_distributed.size) + " (seeds split)");
    out.table.metadata.emplace_back("command", command_line(argc, argv));
    if (kind != "simulate") out.table.metadata.emplace_back("solver", solver_description(common.solver));
    if (!common.config.empty()) out.table.metadata.emplace_back("config", common.config);
    write_table(out.table, common.format, common.output);
    if (!common.plot.empty()) plot_table(*chosen->model, out.table, common.plot);
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
