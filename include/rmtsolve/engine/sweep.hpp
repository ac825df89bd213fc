#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "rmtsolve/model/model.hpp"
#include "rmtsolve/io/table.hpp"

namespace rmtsolve {

/// What to sweep: for every numeric parameter a grid (a single value if not swept), and a value
/// for every text parameter.  At most two parameters may have more than one value; the longer grid
/// is the inner loop, along which solutions are warm-started.
struct SweepSpec {
  std::map<std::string, std::vector<double>> grids;
  std::map<std::string, std::string> texts;
  /// Distributed runs: this process computes the points whose index i in sweep order has
  /// i mod shard_count == shard (deterministic; a point's seeds are a function of the base seed and
  /// the seed index only, so the merged table equals the single-process one).
  int shard = 0, shard_count = 1;
};

/// A one-parameter search at every point of the sweep (`curve --optimize` / `--reach`), as given by
/// the user; checked against the model by prepare_search (rmtsolve/engine/point_search.hpp).
struct SearchSpec {
  std::string optimize;   // numeric parameter to optimise ("": none)
  std::string objective;  // output to minimise ("": test_error, or classification_error for a sign/probit teacher)
  std::string bounds;     // "LO:HI" for the optimised parameter ("": its default range)
  std::string reach;      // "OUTPUT=VALUE": smallest --over value at which OUTPUT falls to VALUE
  std::string over;       // "PARAM" or "PARAM:LO:HI"
  int scan_points = 25;   // coarse scan before the bracketed minimiser / root finder
  bool active() const { return !optimize.empty() || !reach.empty() || !objective.empty() || !bounds.empty() || !over.empty(); }
};

/// Fills defaults and checks every value against the model's domains (InvalidInput naming the
/// parameter), then returns the grid points in sweep order.
std::vector<Point> expand(const Model& model, const SweepSpec& spec);

/// The columns of a curve, simulate or validate table of `model` (kind "curve", "simulate" or
/// "validate"), known before anything is computed.
std::vector<std::string> table_columns(const Model& model, const std::string& kind, const SearchSpec& search = {});

/// What a column of `table_columns(model, …)` holds (symbol and meaning): parameters by their help,
/// outputs by Model::output_help() or the shared descriptions, Monte Carlo, verdict, solver and
/// search columns by their role.  Empty for a name that is none of these.
std::string column_help(const Model& model, const std::string& column);

struct SweepOutcome {
  Table table;
  int failed_points = 0;           // points whose solve did not converge
  std::vector<std::string> notes;  // one line per failed point, for stderr
  bool interrupted = false;        // stopped early by an interrupt; `table` holds the finished rows
  std::vector<std::size_t> point_index;  // sweep-order index of every row (for merging shards)
};

/// Theory curve: parameters, outputs, and the solver summary of every point.  Outputs of a point
/// that did not converge are left empty; the other rows are unaffected.
/// With an active `search`, every row is the optimum (PARAM_opt) or the crossing (PARAM_reach) at
/// that point of the remaining sweep, with the search's summary (evaluations, bracket, on_bound,
/// search note); a point whose inner solves failed is kept with the failing summary and counted in
/// failed_points; "not reached within the bounds" is a clean row with an empty value and a note.
SweepOutcome run_curve(const Model& model, const SweepSpec& spec, const SolverOptions& options,
                       const SearchSpec& search = {});

/// Monte Carlo table: parameters, then mean, standard error for each simulated output, and seeds.
SweepOutcome run_simulation(const Model& model, const SweepSpec& spec, const SimulationOptions& options);

/// Theory and Monte Carlo side by side.  A point passes when, for every shared output,
/// −(k·SE + below·|theory|) ≤ mean − theory ≤ k·SE + above·|theory|, with (below, above) the
/// model's finite-size allowance or rel_tol on both sides if given.  `failed_points` counts failed
/// verdicts and non-converged theory points.
struct ValidationTolerance {
  double k_sigma = 3.0;
  double rel_tol = -1.0;  // < 0: the model's finite_size_allowance(point)
  double abs_floor = 1e-8;  // errors below this are zero for the verdict (e.g. the training loss of an interpolator)
};
SweepOutcome run_validation(const Model& model, const SweepSpec& spec, const SolverOptions& solver,
                            const SimulationOptions& simulation, const ValidationTolerance& tolerance);

}  // namespace rmtsolve
