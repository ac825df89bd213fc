#include "rmtsolve/engine/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <exception>
#include <sstream>
#include <thread>
#include <utility>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/engine/point_search.hpp"
#include "rmtsolve/io/progress.hpp"

namespace rmtsolve {
namespace {

void check_domain(const NumberParameter& p, double v) {
  std::ostringstream got;
  got << v;
  switch (p.domain) {
    case Domain::kPositive:
      if (!(v > 0.0)) throw InvalidInput(p.name, "must be positive, got " + got.str());
      break;
    case Domain::kNonNegative:
      if (!(v >= 0.0)) throw InvalidInput(p.name, "must be non-negative, got " + got.str());
      break;
    case Domain::kPositiveInteger:
      if (!(v >= 1.0) || v != std::floor(v)) throw InvalidInput(p.name, "must be a positive whole number, got " + got.str());
      break;
    case Domain::kAny:
      break;
  }
  if (!std::isfinite(v)) throw InvalidInput(p.name, "must be finite");
  const double maximum = p.maximum > 0.0 ? p.maximum : p.domain == Domain::kPositiveInteger ? kMaxWholeNumber : INFINITY;
  if (v > maximum) {
    std::ostringstream bound;
    bound << maximum;
    throw InvalidInput(p.name, "must be at most " + bound.str() + ", got " + got.str());
  }
}

std::string describe_point(const Model& model, const Point& point) {
  std::ostringstream s;
  for (const auto& p : model.numbers()) s << (s.tellp() ? " " : "") << p.name << "=" << point[p.name];
  return s.str();
}

// The leading columns of every table: the full spec of each point.
void add_parameter_columns(const Model& model, Table& t) {
  for (const auto& p : model.numbers()) t.columns.push_back(p.name);
}
std::vector<Table::Cell> parameter_cells(const Model& model, const Point& point) {
  std::vector<Table::Cell> row;
  for (const auto& p : model.numbers()) row.emplace_back(point[p.name]);
  return row;
}

void add_model_metadata(const Model& model, Table& t) {
  t.metadata.emplace_back("rmtsolve", RMTSOLVE_VERSION);
  t.metadata.emplace_back("model", model.name());
}

bool mine(const SweepSpec& spec, std::size_t index) {
  return static_cast<int>(index % static_cast<std::size_t>(std::max(1, spec.shard_count))) == spec.shard;
}

SweepOutcome& mark_interrupted(SweepOutcome& out) {
  out.interrupted = true;
  out.table.metadata.emplace_back("interrupted", "yes: the table holds only the points finished before the interrupt");
  return out;
}

void check_precision(const Model& model, const SimulationOptions& o) {
  if (o.single_precision && !model.supports_single_precision())
    throw InvalidInput("precision", "float32 is not offered by model " + model.name() + " (only float64)");
}

// Everything needed to re-run the same simulation: seed i of a point uses stream (base_seed, i).
void add_simulation_metadata(const SimulationOptions& o, Table& t) {
  t.metadata.emplace_back("d", std::to_string(o.d));
  t.metadata.emplace_back("precision", o.single_precision ? "float32 features, float64 readout" : "float64");
  t.metadata.emplace_back("seeds", std::to_string(o.seeds.seeds));
  t.metadata.emplace_back("base_seed", std::to_string(o.seeds.base_seed));
  t.metadata.emplace_back("n_test", o.n_test > 0 ? std::to_string(o.n_test) : "model default");
}

// The text parameters close every row, so each row carries the full spec of its point even when
// tables of several runs are concatenated.
void add_text_columns(const Model& model, Table& t) {
  for (const auto& p : model.texts()) t.columns.push_back(p.name);
}
void append_text_cells(const Model& model, const Point& point, std::vector<Table::Cell>& row) {
  for (const auto& p : model.texts()) row.emplace_back(point.str(p.name));
}

// run_curve with a search at every point: the searched parameters' columns stay (empty) so that
// every table of a model has the same leading columns; PARAM_opt / PARAM_reach follow them.
SweepOutcome run_search_curve(const Model& model, const SweepSpec& spec, const SolverOptions& options,
                              const SearchSpec& search) {
  const PreparedSearch prepared = prepare_search(model, spec, search);
  const std::vector<Point> points = expand(model, spec);
  SweepOutcome out;
  Table& t = out.table;
  add_model_metadata(model, t);
  if (!prepared.optimize.empty())
    t.metadata.emplace_back("optimize", prepared.optimize + " minimising " + model.outputs()[prepared.objective]);
  if (!prepared.over.empty())
    t.metadata.emplace_back("reach", model.outputs()[prepared.reach_output] + " <= " + std::to_string(prepared.reach_value) +
                                         " at the smallest " + prepared.over);
  t.columns = table_columns(model, "curve", search);
  SearchState state;
  ProgressBar bar(points.size(), "points");
  const double nan = std::nan("");
  for (std::size_t index = 0; index < points.size(); ++index) {
    const Point& pt = points[index];
    if (!mine(spec, index)) continue;
    if (interrupted()) return mark_interrupted(out);
    SearchOutcome r;
    try {
      r = search_point(model, pt, prepared, options, state);
    } catch (const Interrupted&) {  // inside a solve: the point under way is abandoned
      return mark_interrupted(out);
    }
    bar.tick();
    const bool ok = r.found && !r.failed;
    auto row = parameter_cells(model, pt);
    for (const std::string& searched : {prepared.optimize, prepared.over}) {
      if (searched.empty()) continue;
      const size_t c = static_cast<size_t>(std::find(t.columns.begin(), t.columns.end(), searched) - t.columns.begin());
      row[c] = nan;
    }
    if (!prepared.over.empty()) row.emplace_back(ok ? r.x : nan);
    if (!prepared.optimize.empty())
      row.emplace_back(!ok ? nan : prepared.over.empty() ? r.x : r.at.extra.empty() ? nan : r.at.extra[0]);
    const Summary& s = r.at.result.summary;
    for (size_t k = 0; k < model.outputs().size(); ++k)
      row.emplace_back(ok && k < r.at.result.values.size() ? r.at.result.values[k] : nan);
    row.emplace_back(r.failed ? 0.0 : 1.0);
    row.emplace_back(std::string(r.failed && s.converged ? "failed" : to_string(s.reason)));
    row.emplace_back(static_cast<double>(s.iterations));
    row.emplace_back(s.residual);
    row.emplace_back(s.method);
    row.emplace_back(static_cast<double>(r.evaluations));
    row.emplace_back(ok ? r.bracket_lo : nan);
    row.emplace_back(ok ? r.bracket_hi : nan);
    row.emplace_back(r.failed ? std::string("") : r.on_bound);
    row.emplace_back(r.failed ? r.note + ": " + r.at.failure : r.note);
    append_text_cells(model, pt, row);
    t.rows.push_back(std::move(row));
    out.point_index.push_back(index);
    if (r.failed) {
      ++out.failed_points;
      std::ostringstream where;  // the point without the searched parameters, whose values come from the search
      for (const auto& p : model.numbers())
        if (p.name != prepared.optimize && p.name != prepared.over) where << (where.tellp() ? " " : "") << p.name << "=" << pt[p.name];
      out.notes.push_back("point " + where.str() + ": search failed, not an optimum: " + r.at.failure);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> table_columns(const Model& model, const std::string& kind, const SearchSpec& search) {
  Table t;
  add_parameter_columns(model, t);
  if (kind == "curve" && search.active()) {
    // The searched parameters' answers come first, then the outputs at that answer and how it was found.
    if (!search.over.empty()) t.columns.push_back(search.over.substr(0, search.over.find(':')) + "_reach");
    if (!search.optimize.empty()) t.columns.push_back(search.optimize + "_opt");
    for (const auto& o : model.outputs()) t.columns.push_back(o);
    for (const char* c : {"converged", "reason", "iterations", "residual", "solver_method", "evaluations", "bracket_lo",
                          "bracket_hi", "on_bound", "search"})
      t.columns.emplace_back(c);
  } else if (kind == "curve") {
    for (const auto& o : model.outputs()) t.columns.push_back(o);
    // "solver_method": a model may have its own text parameter "method" (gcm, deep).
    for (const char* c : {"converged", "reason", "iterations", "residual", "solver_method"}) t.columns.emplace_back(c);
  } else if (kind == "simulate") {
    for (const auto& o : model.simulated_outputs()) {
      t.columns.push_back(o + "_mean");
      t.columns.push_back(o + "_se");
    }
    t.columns.emplace_back("seeds");
    t.columns.emplace_back("status");  // ok, or non_finite: the flag a theory row carries in "reason"
  } else {
    const auto outputs = model.outputs();
    for (const auto& o : model.simulated_outputs())
      if (std::find(outputs.begin(), outputs.end(), o) != outputs.end())
        for (const char* suffix : {"_theory", "_mean", "_se", "_z"}) t.columns.push_back(o + suffix);
    for (const char* c : {"allow_below", "allow_above", "seeds", "verdict"}) t.columns.emplace_back(c);
  }
  add_text_columns(model, t);
  return t.columns;
}

std::string column_help(const Model& model, const std::string& column) {
  const auto own = model.output_help();
  const auto ends = [&](const std::string& suffix) {
    return column.size() > suffix.size() && column.compare(column.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  const auto stem = [&](const std::string& suffix) { return column.substr(0, column.size() - suffix.size()); };
  static const std::map<std::string, std::string> shared{
      {"test_error", "E_test: mean squared error of the prediction on fresh data, label noise included"},
      {"train_error", "E_train: mean squared error on the training set at the fitted readout"},
      {"classification_error", "P(sign of the prediction != y) on fresh data"},
      {"train_loss", "training loss per sample at the minimiser, penalty excluded"},
      {"converged", "1 if the solver met --tolerance; 0 otherwise (the outputs are then empty)"},
      {"reason", "why the solver stopped: converged, max_iterations, non_finite, no_bracket or divergent"},
      {"iterations", "fixed-point iterations used (0 for a closed form)"},
      {"residual", "the last step's relative residual |G(x) - x|/max(1, |x|), to compare with --tolerance"},
      {"solver_method", "how the point was solved (Anderson/damped iteration, GSL hybrid fallback, root, closed form)"},
      {"evaluations", "--optimize/--reach: model solves used by the search"},
      {"bracket_lo", "--optimize/--reach: lower end of the final bracket of the searched parameter"},
      {"bracket_hi", "--optimize/--reach: upper end of the final bracket of the searched parameter"},
      {"on_bound", "--optimize: no, lower, upper (optimum on a bound of --bounds) or zero (the lambda -> 0 limit)"},
      {"search", "--optimize/--reach: method, tolerance and local minima found"},
      {"seeds", "Monte Carlo seeds averaged"},
      {"status", "simulate: ok; non_finite when an estimate overflowed, not_converged when a seed's readout fit did not reach its tolerance (the cells are then empty, exit code 3)"},
      {"allow_below", "validate: allowed deviation below the theory (k-sigma SE + finite-size allowance)"},
      {"allow_above", "validate: allowed deviation above the theory (k-sigma SE + finite-size allowance)"},
      {"verdict", "validate: PASS when every compared output is within its allowance, else FAIL"}};
  const auto output = [&](const std::string& name) -> std::string {
    if (auto it = own.find(name); it != own.end()) return it->second;
    if (auto it = shared.find(name); it != shared.end()) return it->second;
    return "";
  };
  for (const auto& p : model.numbers())
    if (p.name == column) return p.help;
  for (const auto& p : model.texts())
    if (p.name == column) return p.help;
  if (std::string h = output(column); !h.empty()) return h;
  if (ends("_opt")) return "--optimize: the value of " + stem("_opt") + " that minimises the objective";
  if (ends("_reach")) return "--reach: the smallest " + stem("_reach") + " at which the output reaches the target";
  for (const auto& [suffix, what] : std::vector<std::pair<std::string, std::string>>{
           {"_mean", "Monte Carlo mean over seeds of "},
           {"_se", "standard error of the Monte Carlo mean of "},
           {"_theory", "theory value of "},
           {"_z", "(Monte Carlo mean - theory)/SE of "}})
    if (ends(suffix))
      if (!output(stem(suffix)).empty()) return what + stem(suffix);
  return "";
}

std::vector<Point> expand(const Model& model, const SweepSpec& spec) {
  std::map<std::string, std::vector<double>> grids;
  std::vector<std::string> swept;
  for (const auto& p : model.numbers()) {
    auto it = spec.grids.find(p.name);
    auto values = it == spec.grids.end() ? std::vector<double>{p.default_value} : it->second;
    if (values.empty()) throw InvalidInput(p.name, "empty grid");
    for (double v : values) check_domain(p, v);
    if (values.size() > 1) swept.push_back(p.name);
    grids[p.name] = std::move(values);
  }
  for (const auto& [name, _] : spec.grids)
    if (!grids.count(name)) throw InvalidInput(name, "not a parameter of model " + model.name());
  if (swept.size() > 2)
    throw InvalidInput(swept[2], "at most two parameters can be swept at once (also swept: " + swept[0] + ", " + swept[1] + ")");

  Point base;
  for (const auto& [name, values] : grids) base.number[name] = values.front();
  for (const auto& p : model.texts()) {
    auto it = spec.texts.find(p.name);
    base.text[p.name] = it == spec.texts.end() ? p.default_value : it->second;
  }
  // The longer grid runs innermost so that warm starts follow the densest direction.
  std::string outer, inner;
  if (swept.size() == 1) inner = swept[0];
  if (swept.size() == 2) {
    const bool first_longer = grids[swept[0]].size() > grids[swept[1]].size();
    inner = first_longer ? swept[0] : swept[1];
    outer = first_longer ? swept[1] : swept[0];
  }
  const std::vector<double> single{0.0};
  std::vector<Point> points;
  for (double o : outer.empty() ? single : grids[outer]) {
    for (double i : inner.empty() ? single : grids[inner]) {
      Point pt = base;
      if (!outer.empty()) pt.number[outer] = o;
      if (!inner.empty()) pt.number[inner] = i;
      points.push_back(std::move(pt));
    }
  }
  return points;
}

// Contiguous segments of `count` points for the curve's worker threads: one segment unless the
// model allows concurrent points and every segment keeps at least kMinSegment points, so that the
// cold start at a segment's head is a small share of its warm-started run.
std::vector<std::pair<std::size_t, std::size_t>> curve_segments(const Model& model, const SolverOptions& o, std::size_t count) {
  constexpr std::size_t kMinSegment = 16;
  const std::size_t hw = std::max(1u, std::thread::hardware_concurrency());
  std::size_t threads = o.threads > 0 ? static_cast<std::size_t>(o.threads) : hw;
  if (!model.concurrent_points()) threads = 1;
  threads = std::max<std::size_t>(1, std::min(threads, count / kMinSegment));
  std::vector<std::pair<std::size_t, std::size_t>> segments;
  for (std::size_t s = 0; s < threads; ++s) segments.emplace_back(count * s / threads, count * (s + 1) / threads);
  return segments;
}

SweepOutcome run_curve(const Model& model, const SweepSpec& spec, const SolverOptions& options, const SearchSpec& search) {
  if (search.active()) return run_search_curve(model, spec, options, search);
  const std::vector<Point> points = expand(model, spec);
  std::vector<std::size_t> todo;  // this process's points, in sweep order
  for (std::size_t index = 0; index < points.size(); ++index)
    if (mine(spec, index)) todo.push_back(index);
  const auto segments = curve_segments(model, options, todo.size());
  ProgressBar bar(points.size(), "points");
  // One warm-started run over todo[begin, end): its rows, failures and interrupt, like a whole curve.
  auto run_segment = [&](std::size_t begin, std::size_t end, SweepOutcome& out) {
    std::vector<double> warm;
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t index = todo[k];
      const Point& pt = points[index];
      if (interrupted()) {
        out.interrupted = true;
        return;
      }
      PointResult r;
      try {
        r = model.solve(pt, options, warm);
      } catch (const Interrupted&) {  // inside a solve: the point under way is abandoned
        out.interrupted = true;
        return;
      }
      bar.tick();
      auto row = parameter_cells(model, pt);
      for (double v : r.values) row.emplace_back(r.summary.converged ? v : std::nan(""));
      row.emplace_back(r.summary.converged ? 1.0 : 0.0);
      row.emplace_back(std::string(to_string(r.summary.reason)));
      row.emplace_back(static_cast<double>(r.summary.iterations));
      row.emplace_back(r.summary.residual);
      row.emplace_back(r.summary.method);
      append_text_cells(model, pt, row);
      out.table.rows.push_back(std::move(row));
      out.point_index.push_back(index);
      if (!r.summary.converged) {
        ++out.failed_points;
        out.notes.push_back("point " + describe_point(model, pt) + ": " + r.summary.brief());
        warm.clear();  // do not carry a failed state to the next point
      }
    }
  };
  std::vector<SweepOutcome> parts(segments.size());
  std::vector<std::exception_ptr> errors(segments.size());
  auto guarded = [&](std::size_t s) {
    try {
      run_segment(segments[s].first, segments[s].second, parts[s]);
    } catch (...) {
      errors[s] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t s = 1; s < segments.size(); ++s) pool.emplace_back(guarded, s);
  guarded(0);
  for (auto& th : pool) th.join();
  for (const auto& e : errors)  // the first failure in sweep order, as a serial run would raise it
    if (e) std::rethrow_exception(e);

  SweepOutcome out;
  Table& t = out.table;
  add_model_metadata(model, t);
  t.columns = table_columns(model, "curve");
  if (segments.size() > 1)
    t.metadata.emplace_back("curve_segments", std::to_string(segments.size()) +
                                                  " warm-started segments solved concurrently (--threads)");
  bool stopped = false;
  for (auto& part : parts) {
    for (std::size_t r = 0; r < part.table.rows.size(); ++r) {
      t.rows.push_back(std::move(part.table.rows[r]));
      out.point_index.push_back(part.point_index[r]);
    }
    out.failed_points += part.failed_points;
    for (auto& note : part.notes) out.notes.push_back(std::move(note));
    stopped = stopped || part.interrupted;
  }
  return stopped ? mark_interrupted(out) : out;
}

// The simulation options with every finished seed reported to `bar`.
SimulationOptions with_progress(SimulationOptions o, ProgressBar& bar) {
  o.seeds.on_seed_done = [&bar] { bar.tick(); };
  return o;
}

std::vector<double> lambda_grid_of(const SweepSpec& spec) {
  const auto it = spec.grids.find("lambda");
  return it == spec.grids.end() ? std::vector<double>{} : it->second;
}

SweepOutcome run_simulation(const Model& model, const SweepSpec& spec, const SimulationOptions& plain_options) {
  const std::vector<Point> points = expand(model, spec);
  check_precision(model, plain_options);
  ProgressBar bar(points.size() * static_cast<size_t>(plain_options.seeds.seeds), "seeds");
  SimulationOptions options = with_progress(plain_options, bar);
  options.lambda_grid = lambda_grid_of(spec);
  SweepOutcome out;
  Table& t = out.table;
  add_model_metadata(model, t);
  add_simulation_metadata(options, t);
  t.columns = table_columns(model, "simulate");
  for (std::size_t index = 0; index < points.size(); ++index) {
    const Point& pt = points[index];
    if (!mine(spec, index)) continue;
    if (interrupted()) return mark_interrupted(out);
    std::vector<mc::Estimate> est;
    std::string untrained;  // a seed's trainer did not converge: the point has no estimate
    try {
      est = model.simulate(pt, options);
    } catch (const Interrupted&) {
      return mark_interrupted(out);
    } catch (const TrainingNotConverged& e) {
      untrained = e.what();
      est.assign(model.simulated_outputs().size(), mc::Estimate{std::nan(""), std::nan(""), 0});
    }
    // Pooled even after a failure: with seeds split over MPI ranks this is a collective call.
    if (options.pool_seeds) est = options.pool_seeds(est);
    auto row = parameter_cells(model, pt);
    // An overflowed estimate (e.g. a label noise of 1e308) is no result: like a theory point that
    // did not converge, its cells stay empty, the row is kept and the point counts as failed.
    std::string non_finite;
    for (size_t k = 0; k < est.size(); ++k) {
      // NaN is "not defined" (the SE of one seed, a metric without labels); only overflow is refused.
      const bool finite = !std::isinf(est[k].mean) && !std::isinf(est[k].standard_error);
      if (!finite) non_finite += (non_finite.empty() ? "" : ", ") + model.simulated_outputs()[k];
      row.emplace_back(finite ? est[k].mean : std::nan(""));
      row.emplace_back(finite ? est[k].standard_error : std::nan(""));
    }
    row.emplace_back(static_cast<double>(options.seeds.seeds));
    row.emplace_back(std::string(!untrained.empty() ? "not_converged" : non_finite.empty() ? "ok" : "non_finite"));
    append_text_cells(model, pt, row);
    t.rows.push_back(std::move(row));
    out.point_index.push_back(index);
    if (std::string note = model.regime_note(pt, options); !note.empty())
      out.notes.push_back("point " + describe_point(model, pt) + ": " + note);
    if (!untrained.empty()) {
      ++out.failed_points;
      out.notes.push_back("point " + describe_point(model, pt) + ": no estimate: " + untrained);
    } else if (!non_finite.empty()) {
      ++out.failed_points;
      out.notes.push_back("point " + describe_point(model, pt) + ": non-finite Monte Carlo estimate of " + non_finite);
    }
  }
  return out;
}

SweepOutcome run_validation(const Model& model, const SweepSpec& spec, const SolverOptions& solver,
                            const SimulationOptions& plain_simulation, const ValidationTolerance& tolerance) {
  const std::vector<Point> points = expand(model, spec);
  check_precision(model, plain_simulation);
  ProgressBar bar(points.size() * static_cast<size_t>(plain_simulation.seeds.seeds), "seeds");
  SimulationOptions simulation = with_progress(plain_simulation, bar);
  simulation.lambda_grid = lambda_grid_of(spec);
  const auto outputs = model.outputs();
  const auto simulated = model.simulated_outputs();
  std::vector<std::pair<size_t, size_t>> shared;  // (theory index, simulation index)
  for (size_t j = 0; j < simulated.size(); ++j)
    for (size_t i = 0; i < outputs.size(); ++i)
      if (outputs[i] == simulated[j]) shared.emplace_back(i, j);

  SweepOutcome out;
  Table& t = out.table;
  add_model_metadata(model, t);
  add_simulation_metadata(simulation, t);
  std::ostringstream rule;  // %g, not std::to_string: a floor of 1e-8 is not "0.000000"
  rule << "-(k SE + below |theory| + floor) <= mean - theory <= k SE + above |theory| + floor, k = "
       << format_exact(tolerance.k_sigma) << ", floor = " << format_exact(tolerance.abs_floor);
  t.metadata.emplace_back("tolerance", rule.str());
  t.columns = table_columns(model, "validate");
  std::vector<double> warm;
  for (std::size_t index = 0; index < points.size(); ++index) {
    const Point& pt = points[index];
    if (!mine(spec, index)) continue;
    if (interrupted()) return mark_interrupted(out);
    PointResult th;
    std::vector<mc::Estimate> est;
    std::string untrained;  // a seed's trainer did not converge: the point has no estimate and fails
    try {
      th = model.solve(pt, solver, warm);
      est = model.simulate(pt, simulation);
    } catch (const Interrupted&) {
      return mark_interrupted(out);
    } catch (const TrainingNotConverged& e) {
      untrained = e.what();
      est.assign(model.simulated_outputs().size(), mc::Estimate{std::nan(""), std::nan(""), 0});
    }
    if (simulation.pool_seeds) est = simulation.pool_seeds(est);  // collective: also after a failure
    if (std::string note = model.regime_note(pt, simulation); !note.empty())
      out.notes.push_back("point " + describe_point(model, pt) + ": " + note);
    auto row = parameter_cells(model, pt);
    const Allowance allow = tolerance.rel_tol >= 0.0 ? Allowance{tolerance.rel_tol, tolerance.rel_tol}
                                                     : model.finite_size_allowance(pt);
    bool pass = th.summary.converged && untrained.empty();
    std::string detail = untrained.empty() ? "" : " no Monte Carlo estimate: " + untrained + ";";
    for (const auto& [i, j] : shared) {
      const double theory = th.summary.converged ? th.values[i] : std::nan("");
      const mc::Estimate& e = est[j];
      if (th.summary.converged && std::isnan(theory)) {  // not defined for this point (e.g. no labels to classify)
        for (int cell = 0; cell < 4; ++cell) row.emplace_back(std::nan(""));
        continue;
      }
      const double gap = e.mean - theory;
      const double statistical = tolerance.k_sigma * e.standard_error + tolerance.abs_floor;
      const double allowed = gap >= 0.0 ? statistical + allow.above * std::abs(theory)
                                        : statistical + allow.below * std::abs(theory);
      if (untrained.empty() && !(std::abs(gap) <= allowed)) {
        pass = false;
        detail += " " + outputs[i] + ": MC " + std::to_string(e.mean) + " vs theory " + std::to_string(theory) +
                  ", gap " + std::to_string(gap) + " exceeds " + std::to_string(allowed) + ";";
      }
      row.emplace_back(theory);
      row.emplace_back(e.mean);
      row.emplace_back(e.standard_error);
      row.emplace_back(e.standard_error > 0.0 ? (e.mean - theory) / e.standard_error : std::nan(""));
    }
    row.emplace_back(allow.below);
    row.emplace_back(allow.above);
    row.emplace_back(static_cast<double>(simulation.seeds.seeds));
    row.emplace_back(std::string(pass ? "PASS" : "FAIL"));
    append_text_cells(model, pt, row);
    t.rows.push_back(std::move(row));
    out.point_index.push_back(index);
    if (!pass) {
      ++out.failed_points;
      out.notes.push_back("point " + describe_point(model, pt) + ": " +
                          (th.summary.converged || !untrained.empty() ? "FAIL" + detail : th.summary.brief()));
    }
    if (!th.summary.converged) warm.clear();
  }
  return out;
}

}  // namespace rmtsolve
