#pragma once
#include <string>

#include "rmtsolve/model/model.hpp"
#include "rmtsolve/engine/sweep.hpp"
#include "rmtsolve/io/table.hpp"

namespace rmtsolve {

struct PlotOptions {
  std::string style = "auto";  // auto (the model's PlotHint), lines, or heatmap (2-D sweeps)
  int logx = -1, logy = -1;    // -1: automatic (log x on a log-spaced grid), 0: linear, 1: log
};

/// The model's PlotHint at the table's first point (e.g. gcm's loss decides what is drawn); also
/// what `--format table` shows first.
PlotHint table_plot_hint(const Model& model, const Table& table);

/// Checks a `--plot` target before any computation: the extension (.svg, .png or .pdf), that its
/// directory exists and is writable, and that gnuplot can be run.  Throws InvalidInput("plot", …)
/// saying which of the three is wrong.
void check_plot_target(const std::string& path);

/// The theory of a validation or simulation sweep on a fine grid of its x parameter (the swept
/// parameter with the most values), keeping the other swept values: what `plot_table` draws as
/// the theory curve under the Monte Carlo points.  Points that do not converge are left empty.
Table dense_theory(const Model& model, const SweepSpec& spec, const SolverOptions& options, int points = 200);

/// Draws a curve, simulation or validation table with gnuplot (svg, png or pdf by the file's
/// extension), in the form the model's PlotHint asks for: panels of outputs against the swept
/// parameter with the most values, one line per value of a second swept parameter, or a heatmap
/// over two swept parameters with the hint's contours.  Theory as lines (from `theory` when
/// given, a dense curve), Monte Carlo means with ±1 SE error bars, failed verdicts circled in red.
/// The title carries the model, the fixed parameters and the Monte Carlo size.  Throws
/// InvalidInput("plot", …) for a bad target or a table without plottable columns, and
/// std::runtime_error if gnuplot fails.
void plot_table(const Model& model, const Table& table, const std::string& path, const PlotOptions& options = {},
                const Table* theory = nullptr);

}  // namespace rmtsolve
