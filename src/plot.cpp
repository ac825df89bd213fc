#include "rmtsolve/plot.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "rmtsolve/error.hpp"

namespace rmtsolve {
namespace {

// Axis labels in the source papers' symbols.
std::string symbol(const std::string& name) {
  static const std::map<std::string, std::string> symbols = {
      {"alpha", "α = n/d"}, {"beta", "β = p/d"},   {"lambda", "λ"},  {"noise", "Δ"},
      {"eta", "η̃"},        {"alpha0", "α₀ = n₀/d"}, {"rho", "ρ"},    {"teacher_width", "k*/d"}};
  const auto it = symbols.find(name);
  return it == symbols.end() ? name : it->second;
}

size_t column(const Table& t, const std::string& name) {
  const auto it = std::find(t.columns.begin(), t.columns.end(), name);
  return it == t.columns.end() ? t.columns.size() : static_cast<size_t>(it - t.columns.begin());
}

double number(const Table::Cell& c) { return std::holds_alternative<double>(c) ? std::get<double>(c) : std::nan(""); }

std::vector<std::string> swept_parameters(const Model& model, const Table& t) {
  std::vector<std::pair<size_t, std::string>> swept;  // (distinct values, name)
  for (const auto& p : model.numbers()) {
    std::set<double> values;
    const size_t c = column(t, p.name);
    for (const auto& row : t.rows) values.insert(number(row[c]));
    if (values.size() > 1) swept.emplace_back(values.size(), p.name);
  }
  std::stable_sort(swept.begin(), swept.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<std::string> names;
  for (const auto& s : swept) names.push_back(s.second);
  if (names.empty()) names.push_back(model.numbers().front().name);
  return names;
}

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return q + "\"";
}

}  // namespace

void plot_table(const Model& model, const Table& t, const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext != ".svg" && ext != ".png") throw InvalidInput("plot", "file must end in .svg or .png, got '" + path + "'");
  if (t.rows.empty()) throw InvalidInput("plot", "nothing to plot");
  const auto swept = swept_parameters(model, t);
  const std::string x = swept[0], group = swept.size() > 1 ? swept[1] : "";
  const size_t xc = column(t, x), gc = group.empty() ? t.columns.size() : column(t, group);

  // Series: theory lines (curve: test/train error; validate: *_theory) and MC points (*_mean ± *_se).
  struct Series {
    std::string label;
    size_t y, se;
  };
  std::vector<Series> lines, points;
  // A classifier (its first output is the classification error, e.g. srf-class) is plotted by it.
  const bool classifier = !model.outputs().empty() && model.outputs().front() == "classification_error";
  const std::vector<std::string> shown = classifier ? std::vector<std::string>{"classification_error"}
                                                    : std::vector<std::string>{"test_error", "train_error"};
  for (const std::string& name : shown) {
    const std::string pretty = name == "test_error" ? "test" : name == "train_error" ? "train" : "classification";
    if (column(t, name) < t.columns.size()) lines.push_back({pretty + " (theory)", column(t, name), 0});
    if (column(t, name + "_theory") < t.columns.size()) lines.push_back({pretty + " (theory)", column(t, name + "_theory"), 0});
    if (column(t, name + "_mean") < t.columns.size())
      points.push_back({pretty + " (Monte Carlo ± SE)", column(t, name + "_mean"), column(t, name + "_se")});
  }
  if (lines.empty() && points.empty()) throw InvalidInput("plot", "the table has no error columns");

  std::map<double, std::vector<const std::vector<Table::Cell>*>> groups;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& row : t.rows) {
    groups[gc < t.columns.size() ? number(row[gc]) : 0.0].push_back(&row);
    lo = std::min(lo, number(row[xc]));
    hi = std::max(hi, number(row[xc]));
  }
  const auto dir = std::filesystem::temp_directory_path() / ("rmtsolve_plot_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ostringstream script;
  script << (ext == ".svg" ? "set terminal svg size 800,560 dynamic enhanced font 'sans,12'\n"
                           : "set terminal pngcairo size 1000,700 enhanced font 'sans,12'\n");
  script << "set output " << quoted(path) << "\n";
  script << "set xlabel " << quoted(symbol(x)) << "\nset ylabel " << (classifier ? "\"classification error\"" : "\"error (mean squared)\"") << "\n";
  script << "set title " << quoted("rmtsolve " + model.name()) << " noenhanced\n";
  script << "set autoscale xfix\nset offsets graph 0.02, graph 0.02, 0, 0\n";
  script << "set key outside right top noenhanced\nset grid\nset datafile missing \"nan\"\n";
  if (lo > 0 && hi / lo > 30.0) script << "set logscale x\n";
  std::vector<std::string> clauses;
  int style = 1;
  for (const auto& [g, rows] : groups) {
    const std::string file = (dir / ("group" + std::to_string(style) + ".dat")).string();
    std::ofstream data(file);
    data.precision(12);
    for (const auto* row : rows) {
      data << number((*row)[xc]);
      for (const auto& s : lines) data << " " << number((*row)[s.y]);
      for (const auto& s : points) data << " " << number((*row)[s.y]) << " " << number((*row)[s.se]);
      data << "\n";
    }
    std::ostringstream group_value;
    group_value << g;
    const std::string group_symbol = symbol(group).substr(0, symbol(group).find(' '));
    const std::string suffix = group.empty() ? "" : ", " + group_symbol + " = " + group_value.str();
    int col = 2;
    for (const auto& s : lines)
      clauses.push_back(quoted(file) + " using 1:" + std::to_string(col++) + " with lines lw 2 lc " + std::to_string(style) +
                        " dt " + std::to_string(&s - &lines[0] + 1) + " title " + quoted(s.label + suffix));
    for (const auto& s : points) {
      clauses.push_back(quoted(file) + " using 1:" + std::to_string(col) + ":" + std::to_string(col + 1) +
                        " with yerrorbars pt " + std::to_string(7 + (&s - &points[0])) + " lc " + std::to_string(style) +
                        " title " + quoted(s.label + suffix));
      col += 2;
    }
    ++style;
  }
  script << "plot ";
  for (size_t i = 0; i < clauses.size(); ++i) script << (i ? ", \\\n     " : "") << clauses[i];
  script << "\n";
  const std::string script_file = (dir / "plot.gp").string();
  std::ofstream(script_file) << script.str();
  const std::string command = "gnuplot " + quoted(script_file) + " 2>" + quoted((dir / "gnuplot.err").string());
  const int status = std::system(command.c_str());
  std::string err;
  {
    std::ifstream e(dir / "gnuplot.err");
    std::getline(e, err);
  }
  std::filesystem::remove_all(dir);
  if (status != 0) throw std::runtime_error("gnuplot failed (" + (err.empty() ? "is gnuplot installed?" : err) + ")");
}

}  // namespace rmtsolve
