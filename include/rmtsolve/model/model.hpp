#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rmtsolve/montecarlo/seeds.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve {

/// Admissible values of a numeric parameter; checked for every grid value before any solve.
enum class Domain { kPositive, kNonNegative, kAny, kPositiveInteger };

struct NumberParameter {
  std::string name;  // flag name without dashes, e.g. "alpha"
  std::string help;  // symbol and meaning, e.g. "α = n/d, samples per input dimension"
  double default_value = 0.0;
  Domain domain = Domain::kPositive;
  /// Largest admissible value, checked with the domain before any conversion; 0: the domain's own
  /// (kMaxWholeNumber for kPositiveInteger — every whole-number parameter is bounded, so that it
  /// converts to int without overflow — and none for the others).
  double maximum = 0.0;
};

/// The bound of a kPositiveInteger parameter without a tighter one of its own.
inline constexpr double kMaxWholeNumber = 1e7;

struct TextParameter {
  std::string name, help, default_value;
};

/// One grid point: a value for every parameter of the model.
struct Point {
  std::map<std::string, double> number;
  std::map<std::string, std::string> text;
  double operator[](const std::string& name) const { return number.at(name); }
  const std::string& str(const std::string& name) const { return text.at(name); }
};

struct PointResult {
  std::vector<double> values;  // one per Model::outputs()
  Summary summary;
};

/// Relative finite-size allowance of a Monte Carlo comparison, on each side of the theory: a model
/// whose finite networks are known to sit above its limit (docs/theory/srf.md §8.5) says so with above > below.
struct Allowance {
  double below = 0.02, above = 0.02;
};

struct SimulationOptions {
  int d = 400;      // input dimension; other sizes follow from the ratios
  int n_test = 0;   // 0: the model's default
  mc::SeedOptions seeds;
  /// float32 for the feature computation (the GEMMs through the layers and σ); the readout's Gram,
  /// factorisation and errors stay in double.  Offered by models whose supports_single_precision().
  bool single_precision = false;
  /// The λ values of the sweep, so that a ridge model solves them all from one draw per seed
  /// (mc::RidgeSweepCache); set by the sweep engine, empty otherwise.
  std::vector<double> lambda_grid;
  /// Set when the seeds of every point are sharded over processes (seeds.shard_count > 1): turns
  /// this process's estimates of a point into the estimates over all seeds.  Called by every
  /// process for every point, in sweep order.
  std::function<std::vector<mc::Estimate>(const std::vector<mc::Estimate>&)> pool_seeds;
};

/// One panel of a model's default plot: outputs sharing a y axis.
struct PlotPanel {
  PlotPanel() = default;
  PlotPanel(std::vector<std::string> o, std::string y, bool log = false, std::vector<double> l = {}, std::string label = "")
      : outputs(std::move(o)), ylabel(std::move(y)), logy(log), levels(std::move(l)), levels_label(std::move(label)) {}
  std::vector<std::string> outputs;  // names from Model::outputs() / simulated_outputs()
  std::string ylabel;                // says which quantity is on the axis
  bool logy = false;                 // log scale (also the colour scale of a heatmap)
  std::vector<double> levels;        // reference values: horizontal lines, or contours of a heatmap
  std::string levels_label;          // legend entry of the reference lines / contours
};

/// How a model's table is drawn by default (`--plot`): panels side by side; a 2-D sweep drawn as
/// one line per value of the second parameter or as a heatmap of the first panel's first output.
struct PlotHint {
  PlotHint(std::vector<PlotPanel> p, bool map = false) : panels(std::move(p)), heatmap(map) {}
  std::vector<PlotPanel> panels;
  bool heatmap = false;
};

/// An equation system as the sweep, the CLI and the Python module see it.  A model never iterates,
/// sweeps or prints by itself: it solves (and optionally simulates) one point.
class Model {
 public:
  virtual ~Model() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  virtual std::vector<NumberParameter> numbers() const = 0;
  virtual std::vector<TextParameter> texts() const = 0;
  virtual std::vector<std::string> outputs() const = 0;
  /// Theory at one point.  `warm` carries the model's state from the neighbouring point of a sweep
  /// (empty at the first point).  Throws InvalidInput for inadmissible parameters.
  virtual PointResult solve(const Point& point, const SolverOptions& options, std::vector<double>& warm) const = 0;

  /// Symbol and meaning of this model's own outputs (outputs() and simulated_outputs()), for
  /// `--help`, Python docstrings and `rmtsolve models`.  Outputs that mean the same in every model
  /// (test_error, train_error, classification_error, train_loss) are described once, by
  /// column_help() in sweep.hpp; a model entry for one of them overrides that description.
  virtual std::map<std::string, std::string> output_help() const { return {}; }

  /// Outputs that the Monte Carlo estimates; names shared with outputs() are compared by validate.
  virtual std::vector<std::string> simulated_outputs() const { return {}; }
  virtual std::vector<mc::Estimate> simulate(const Point& point, const SimulationOptions& options) const;
  /// Whether simulate() honours SimulationOptions::single_precision (others refuse it).
  virtual bool supports_single_precision() const { return false; }
  /// solve() may run concurrently for different points (each with its own warm state): run_curve
  /// then splits long curves into warm-started segments over SolverOptions::threads.
  virtual bool concurrent_points() const { return false; }
  /// Relative finite-size allowance used by validate on top of the statistical tolerance.
  virtual Allowance finite_size_allowance(const Point&) const { return {}; }
  /// A point where finite networks of this size are known not to follow the proportional limit
  /// (e.g. srf's vanishing step): one line saying why, added to the notes of simulate/validate so
  /// that a failed or surprising comparison is not presented as ordinary.  Empty: nothing to say.
  virtual std::string regime_note(const Point&, const SimulationOptions&) const { return {}; }
  /// What `--plot` draws for a table whose first row is `point` (default: test and train error).
  virtual PlotHint plot_hint(const Point& point) const;
};

/// round(ratio · d) as a sample or width count; InvalidInput naming `parameter` if out of range.
int size_from_ratio(double ratio, int d, const char* parameter, int minimum = 1);

/// Parses "TAG:D:SEED" (e.g. "drawn:400:1"); returns false if `text` is not of that form.
bool parse_size_and_seed(const std::string& text, const std::string& tag, int& d, std::uint64_t& seed);

/// Everything that fixes a point's simulated data except `varying` (e.g. "lambda"): the key under
/// which a ridge sweep over `varying` reuses the sampled problems (mc::RidgeSweepCache).
std::string simulation_key(const Model& model, const Point& point, const SimulationOptions& options,
                           const std::string& varying = "lambda");

/// All models, by name ("rf", "gcm", …).  Defined by the registry (src/engine/registry.cpp), the only
/// file of the library that includes every equations/<model>/ header.
const std::vector<std::unique_ptr<Model>>& models();
/// Throws InvalidInput("model", …) listing the known names.
const Model& find_model(const std::string& name);

}  // namespace rmtsolve
