#pragma once
#include <string>
#include <vector>

#include "rmtsolve/engine/optimize.hpp"
#include "rmtsolve/engine/sweep.hpp"

namespace rmtsolve {

/// A SearchSpec checked against a model and a sweep, with its ranges resolved.
struct PreparedSearch {
  std::string optimize;  // "" when only --reach
  size_t objective = 0;  // index in Model::outputs()
  SearchRange optimize_range;
  std::string over;      // "" when only --optimize
  size_t reach_output = 0;
  double reach_value = 0.0;
  SearchRange over_range;
};

/// Checks everything before any solve; InvalidInput naming the flag (optimize, objective, bounds,
/// reach, over) for a parameter that is not a real number of the model, a swept or fixed parameter,
/// bounds outside the parameter's domain or LO ≥ HI, an objective or output the model lacks.
PreparedSearch prepare_search(const Model& model, const SweepSpec& sweep, const SearchSpec& search);

/// Warm states of a sweep's searches, carried from one point to the next.
struct SearchState {
  std::vector<std::vector<double>> outer, inner;
};

/// The search at one point: outcome.x is PARAM_opt (optimize only) or PARAM_reach; with both,
/// outcome.at.extra[0] is the optimised parameter at the crossing.
SearchOutcome search_point(const Model& model, const Point& point, const PreparedSearch& search,
                           const SolverOptions& options, SearchState& state);

}  // namespace rmtsolve
