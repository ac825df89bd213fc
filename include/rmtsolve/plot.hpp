#pragma once
#include <string>

#include "rmtsolve/model.hpp"
#include "rmtsolve/table.hpp"

namespace rmtsolve {

/// Draws a curve, simulation or validation table with gnuplot (svg or png by the file's extension):
/// theory as lines, Monte Carlo means as points with ±1 SE error bars, the swept parameter on the x
/// axis (log scale when the grid spans more than a decade and a half), one line per value of a
/// second swept parameter.  Throws InvalidInput("plot", …) for an unknown extension and
/// std::runtime_error if gnuplot is missing or fails.
void plot_table(const Model& model, const Table& table, const std::string& path);

}  // namespace rmtsolve
