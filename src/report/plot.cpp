#include "rmtsolve/report/plot.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {
namespace {

namespace fs = std::filesystem;

// Greek names in parameter help texts ("alpha = n/p") become their letters on the axes.
std::string greek(const std::string& s) {
  static const std::map<std::string, std::string> letters = {
      {"alpha", "α"}, {"beta", "β"},   {"gamma", "γ"}, {"delta", "δ"}, {"Delta", "Δ"}, {"eta", "η"},
      {"theta", "θ"}, {"Theta", "Θ"},  {"kappa", "κ"}, {"lambda", "λ"}, {"mu", "μ"},   {"rho", "ρ"},
      {"sigma", "σ"}, {"tau", "τ"},    {"phi", "φ"},   {"psi", "ψ"},    {"Psi", "Ψ"},   {"omega", "ω"},
      {"Omega", "Ω"}};
  std::string out, word;
  auto flush = [&] {
    const auto it = letters.find(word);
    out += it == letters.end() ? word : it->second;
    word.clear();
  };
  for (char c : s) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += c;
    } else {
      flush();
      out += c;
    }
  }
  flush();
  return out;
}

// Axis label of a parameter: the symbol its help text starts with ("alpha = n/p, ..." → "α = n/p"),
// so that each model's own ratio is named (gcm's α is n/p, rf's n/d).
std::string axis_label(const Model& model, const std::string& name) {
  static const std::map<std::string, std::string> fixed = {
      {"beta", "β = p/d"}, {"lambda", "λ"}, {"noise", "Δ"}, {"eta", "η̃"}, {"alpha0", "α₀ = n₀/d"}, {"teacher_width", "k*/d"}};
  if (const auto it = fixed.find(name); it != fixed.end()) return it->second;
  if (name.rfind("a_", 0) == 0) {
    const std::string x = greek(name.substr(2));
    return "exponent a_" + x + "  (" + x + " ∝ d^a_" + x + ")";
  }
  for (const auto& p : model.numbers()) {
    if (p.name != name) continue;
    const std::string prefix = p.help.substr(0, p.help.find(','));
    if (prefix.size() > 28) return greek(name);
    auto bare = [](std::string s) {
      s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
      return greek(s);
    };
    const bool symbol_only = prefix.find(' ') == std::string::npos;
    if (symbol_only && bare(prefix) != bare(name)) return name + " " + greek(prefix);
    return greek(prefix);
  }
  return greek(name);
}

// The symbol alone, for legend entries such as "η̃ = 2" or "depth = 3".
std::string short_label(const Model& model, const std::string& name) {
  const std::string label = axis_label(model, name);
  if (label.rfind("exponent ", 0) == 0) return label.substr(9, label.find(' ', 9) - 9);
  return label.substr(0, label.find(' '));
}

size_t column(const Table& t, const std::string& name) {
  const auto it = std::find(t.columns.begin(), t.columns.end(), name);
  return it == t.columns.end() ? t.columns.size() : static_cast<size_t>(it - t.columns.begin());
}
bool has(const Table& t, const std::string& name) { return column(t, name) < t.columns.size(); }

double number(const Table::Cell& c) { return std::holds_alternative<double>(c) ? std::get<double>(c) : std::nan(""); }
double cell(const Table& t, const std::vector<Table::Cell>& row, const std::string& name) {
  const size_t c = column(t, name);
  return c < t.columns.size() ? number(row[c]) : std::nan("");
}

std::string format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
// gnuplot data: non-finite values are missing points (±∞ slopes cannot be drawn).
std::string datum(double v) { return std::isfinite(v) ? format(v) : "NaN"; }

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += c == '\n' ? std::string("\\n") : (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return q + "\"";
}

// Swept parameters, most values first (ties in the model's order): x axis, then groups or y axis.
std::vector<std::string> swept_of(const Model& model, const std::map<std::string, std::set<double>>& values) {
  std::vector<std::pair<size_t, std::string>> swept;
  for (const auto& p : model.numbers()) {
    const auto it = values.find(p.name);
    if (it != values.end() && it->second.size() > 1) swept.emplace_back(it->second.size(), p.name);
  }
  std::stable_sort(swept.begin(), swept.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<std::string> names;
  for (const auto& s : swept) names.push_back(s.second);
  return names;
}

std::vector<std::string> swept_parameters(const Model& model, const Table& t) {
  std::map<std::string, std::set<double>> values;
  for (const auto& p : model.numbers())
    for (const auto& row : t.rows) values[p.name].insert(cell(t, row, p.name));
  auto names = swept_of(model, values);
  if (names.empty()) names.push_back(model.numbers().front().name);
  return names;
}

// Log-spaced: constant ratio between consecutive values that are not also equally spaced.
bool log_spaced(const std::set<double>& v) {
  if (v.size() < 3 || *v.begin() <= 0.0) return false;
  const std::vector<double> x(v.begin(), v.end());
  bool ratio = true, step = true;
  for (size_t i = 2; i < x.size(); ++i) {
    ratio = ratio && std::abs(x[i] / x[i - 1] - x[1] / x[0]) < 1e-6 * x[1] / x[0];
    step = step && std::abs((x[i] - x[i - 1]) - (x[1] - x[0])) < 1e-6 * std::abs(x[1] - x[0]);
  }
  return ratio && !step;
}

bool auto_logx(const std::set<double>& v) {
  if (v.empty() || *v.begin() <= 0.0) return false;
  if (log_spaced(v)) return true;
  // Irregular lists that span decades (0.01, 0.1, 1, 100): equal spacing would hide all but the last.
  const std::vector<double> x(v.begin(), v.end());
  bool even = true;
  for (size_t i = 2; i < x.size(); ++i) even = even && std::abs((x[i] - x[i - 1]) - (x[1] - x[0])) < 1e-6 * std::abs(x[1] - x[0]);
  return !even && x.back() / x.front() > 100.0;
}

// The fixed parameters of the table (values of its first row), its Monte Carlo size, wrapped.
std::string caption(const Model& model, const Table& t, const std::vector<std::string>& not_fixed) {
  const auto& swept = not_fixed;
  std::vector<std::string> parts;
  const auto& row = t.rows.front();
  for (const auto& p : model.numbers())
    if (std::find(swept.begin(), swept.end(), p.name) == swept.end()) {
      // The parameter a --optimize / --reach search solves for has no value of its own.
      if (has(t, p.name + "_opt")) parts.push_back(p.name + " optimised");
      else if (has(t, p.name + "_reach")) parts.push_back(p.name + " sought");
      else parts.push_back(p.name + "=" + format(cell(t, row, p.name)));
    }
  for (const auto& p : model.texts()) {
    const size_t c = column(t, p.name);
    if (std::find(swept.begin(), swept.end(), p.name) != swept.end()) continue;
    if (c >= t.columns.size() || !std::holds_alternative<std::string>(row[c])) continue;
    const std::string v = std::get<std::string>(row[c]);
    if (!v.empty()) parts.push_back(p.name + "=" + (v.find('/') != std::string::npos ? fs::path(v).filename().string() : v));
  }
  std::string mc;
  for (const auto& [k, v] : t.metadata)
    if (k == "d" || k == "seeds" || k == "n_test" || (k == "precision" && v != "float64")) mc += (mc.empty() ? "" : ", ") + k + "=" + v;
  std::string kind = has(t, "verdict") ? "validate" : (std::any_of(t.columns.begin(), t.columns.end(), [](const std::string& c) {
                                                        return c.size() > 5 && c.compare(c.size() - 5, 5, "_mean") == 0;
                                                      }) ? "simulate" : "curve");
  std::string text = "rmtsolve " + kind + " " + model.name(), line;
  for (const auto& p : parts) {
    if (line.size() + p.size() > 90) {
      text += "\n" + line;
      line.clear();
    }
    line += (line.empty() ? "" : ", ") + p;
  }
  if (!line.empty()) text += "\n" + line;
  if (!mc.empty()) text += "\nMonte Carlo: " + mc + " (error bars ±1 SE)";
  return text;
}

// One drawn quantity of a panel: its theory column (in the table or the dense curve) and its
// Monte Carlo mean and standard error columns, any of which may be absent.
struct Quantity {
  std::string output, theory, mean, se;
};

std::vector<Quantity> quantities(const PlotPanel& panel, const Table& t, const Table* dense) {
  std::vector<Quantity> out;
  for (const auto& o : panel.outputs) {
    Quantity q{o, "", "", ""};
    if (dense && has(*dense, o)) q.theory = o;
    else if (has(t, o)) q.theory = o;
    else if (has(t, o + "_theory")) q.theory = o + "_theory";
    if (has(t, o + "_mean")) {
      q.mean = o + "_mean";
      q.se = o + "_se";
    }
    if (!q.theory.empty() || !q.mean.empty()) out.push_back(q);
  }
  return out;
}

struct Canvas {
  std::string terminal;
  int width, height;
};

// Height grows with the caption and with a legend of more than two rows (it sits below the plot).
Canvas canvas(const std::string& ext, int panels, int caption_lines, int legend_entries, int legend_chars) {
  const int w = std::max(panels == 1 ? 820 : 580 * panels + 40, 8 * legend_chars + 160);
  const int h = 560 + 18 * caption_lines + 20 * std::max(0, (legend_entries + 1) / 2 - 2);
  if (ext == ".pdf") {
    std::ostringstream s;
    s << "set terminal pdfcairo noenhanced size " << w / 100.0 << "in," << h / 100.0 << "in font 'sans,8'";
    return {s.str(), w, h};
  }
  const std::string size = std::to_string(w) + "," + std::to_string(h);
  if (ext == ".svg") return {"set terminal svg noenhanced size " + size + " font 'sans,12' background '#ffffff'", w, h};
  return {"set terminal pngcairo noenhanced size " + size + " font 'sans,11'", w, h};
}

std::string datablock(const std::string& name, const std::vector<std::string>& lines) {
  std::string s = name + " << EOD\n";
  for (const auto& l : lines) s += l + "\n";
  return s + "EOD\n";
}

}  // namespace

PlotHint table_plot_hint(const Model& model, const Table& t) {
  Point first;
  for (const auto& p : model.numbers()) first.number[p.name] = t.rows.empty() ? p.default_value : cell(t, t.rows.front(), p.name);
  for (const auto& p : model.texts()) {
    const size_t c = column(t, p.name);
    first.text[p.name] = !t.rows.empty() && c < t.columns.size() && std::holds_alternative<std::string>(t.rows.front()[c])
                             ? std::get<std::string>(t.rows.front()[c])
                             : p.default_value;
  }
  return model.plot_hint(first);
}

void check_plot_target(const std::string& path) {
  const fs::path p(path);
  const std::string ext = p.extension().string();
  if (ext != ".svg" && ext != ".png" && ext != ".pdf")
    throw InvalidInput("plot", "file must end in .svg, .png or .pdf, got '" + path + "'");
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InvalidInput("plot", "directory '" + dir.string() + "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0) throw InvalidInput("plot", "directory '" + dir.string() + "' is not writable");
  if (fs::is_directory(p, ec)) throw InvalidInput("plot", "'" + path + "' is a directory");
  bool found = false;
  if (const char* env = std::getenv("PATH")) {
    std::stringstream dirs(env);
    for (std::string d; std::getline(dirs, d, ':') && !found;)
      found = !d.empty() && ::access((fs::path(d) / "gnuplot").c_str(), X_OK) == 0;
  }
  if (!found) throw InvalidInput("plot", "gnuplot is not installed (not found on PATH); install it or drop --plot");
}

Table dense_theory(const Model& model, const SweepSpec& spec, const SolverOptions& options, int points) {
  std::map<std::string, std::set<double>> values;
  for (const auto& [name, grid] : spec.grids) values[name].insert(grid.begin(), grid.end());
  const auto swept = swept_of(model, values);
  SweepSpec dense = spec;
  dense.shard = 0;
  dense.shard_count = 1;
  if (!swept.empty()) {
    const std::set<double>& v = values[swept[0]];
    const double lo = *v.begin(), hi = *v.rbegin();
    std::set<double> grid(v.begin(), v.end());  // the Monte Carlo points stay on the curve
    bool integer = false;
    for (const auto& p : model.numbers())
      if (p.name == swept[0]) integer = p.domain == Domain::kPositiveInteger;
    if (integer) {
      for (double x = lo; x <= hi && grid.size() < 1000; x += 1.0) grid.insert(x);
    } else {
      const bool log = auto_logx(v);
      for (int i = 0; i < points; ++i) {
        const double f = static_cast<double>(i) / (points - 1);
        grid.insert(log ? lo * std::pow(hi / lo, f) : lo + f * (hi - lo));
      }
    }
    dense.grids[swept[0]] = std::vector<double>(grid.begin(), grid.end());
  }
  return run_curve(model, dense, options).table;
}

void plot_table(const Model& model, const Table& t, const std::string& path, const PlotOptions& options, const Table* dense) {
  check_plot_target(path);
  if (t.rows.empty()) throw InvalidInput("plot", "nothing to plot (the table is empty)");
  const std::string ext = fs::path(path).extension().string();

  const PlotHint hint = table_plot_hint(model, t);
  std::vector<std::pair<PlotPanel, std::vector<Quantity>>> panels;
  for (const auto& panel : hint.panels) {
    auto q = quantities(panel, t, dense);
    if (!q.empty()) panels.emplace_back(panel, q);
  }
  if (panels.empty()) {  // e.g. a validation table holding only outputs the hint does not draw
    PlotPanel all;
    all.ylabel = "value";
    for (const auto& o : model.simulated_outputs()) all.outputs.push_back(o);
    auto q = quantities(all, t, dense);
    if (!q.empty()) panels.emplace_back(all, q);
  }
  if (panels.empty()) throw InvalidInput("plot", "the table has none of the columns model " + model.name() + " draws");
  // A search's answer (curve --optimize / --reach: PARAM_opt, PARAM_reach) in a panel of its own,
  // beside the errors at the optimum.
  {
    PlotPanel searched({}, "optimum / crossing");
    for (const auto& name : t.columns)
      for (const std::string suffix : {"_opt", "_reach"})
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
          searched.outputs.push_back(name);
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& row : t.rows)
      for (const auto& o : searched.outputs) {
        const double v = cell(t, row, o);
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
      }
    searched.logy = lo > 0 && hi / lo > 30.0;  // optimal ridges span decades
    auto q = quantities(searched, t, nullptr);
    if (!q.empty()) panels.emplace_back(searched, q);
  }

  const auto swept = swept_parameters(model, t);
  const std::string x = swept[0], group = swept.size() > 1 ? swept[1] : "";
  const bool heatmap = !group.empty() && (options.style == "heatmap" || (options.style == "auto" && hint.heatmap));
  // Lines: one per combination of the parameters other than x that vary in the table (the second
  // swept parameter; in a suite, also each run's own activation, depth, ...), labelled by them.
  std::vector<std::string> varying;
  for (const auto& p : model.numbers()) {
    std::set<double> v;
    for (const auto& row : t.rows) v.insert(cell(t, row, p.name));
    if (p.name != x && v.size() > 1) varying.push_back(p.name);
  }
  std::vector<std::string> varying_texts;
  for (const auto& p : model.texts()) {
    const size_t c = column(t, p.name);
    std::set<std::string> v;
    for (const auto& row : t.rows)
      if (c < t.columns.size() && std::holds_alternative<std::string>(row[c])) v.insert(std::get<std::string>(row[c]));
    if (v.size() > 1) varying_texts.push_back(p.name);
  }
  auto line_key = [&](const Table& src, const std::vector<Table::Cell>& row) {
    std::string key;
    for (const auto& n : varying) key += (key.empty() ? "" : ", ") + short_label(model, n) + " = " + format(cell(src, row, n));
    for (const auto& n : varying_texts) {
      const size_t c = column(src, n);
      key += (key.empty() ? "" : ", ") + n + " = " +
             (c < src.columns.size() && std::holds_alternative<std::string>(row[c]) ? std::get<std::string>(row[c]) : "");
    }
    return key;
  };
  if (options.style == "heatmap" && group.empty())
    throw InvalidInput("plot-style", "heatmap needs two swept parameters (this table sweeps only " + x + ")");
  if (heatmap) panels.resize(1);
  // A panel whose quantities do not change along x (saxe's t_learn on a t grid) says nothing there.
  if (!heatmap && panels.size() > 1) {
    auto varies = [&](const std::vector<Quantity>& qs) {
      std::map<std::string, std::map<std::string, std::pair<double, double>>> range;  // line → column → (min, max)
      for (const auto& row : t.rows)
        for (const auto& q : qs)
          for (const std::string& c : {q.theory, q.mean}) {
            const double v = cell(t, row, c);
            if (c.empty() || !std::isfinite(v)) continue;
            auto& r = range[line_key(t, row)].try_emplace(c, v, v).first->second;
            r = {std::min(r.first, v), std::max(r.second, v)};
          }
      for (const auto& [g, columns] : range)
        for (const auto& [c, r] : columns)
          if (r.second - r.first > 1e-12 * std::max(std::abs(r.first), std::abs(r.second))) return true;
      return false;
    };
    std::vector<std::pair<PlotPanel, std::vector<Quantity>>> kept;
    for (const auto& p : panels)
      if (varies(p.second)) kept.push_back(p);
    if (!kept.empty()) panels = kept;
  }

  std::set<double> xs, ys;
  for (const auto& row : t.rows) {
    xs.insert(cell(t, row, x));
    if (!group.empty()) ys.insert(cell(t, row, group));
  }
  const bool logx = options.logx == 1 || (options.logx == -1 && auto_logx(xs));
  std::vector<std::string> not_fixed = swept;
  not_fixed.insert(not_fixed.end(), varying.begin(), varying.end());
  not_fixed.insert(not_fixed.end(), varying_texts.begin(), varying_texts.end());
  const std::string title = caption(model, t, not_fixed);
  std::set<std::string> lines;
  for (const auto& row : t.rows) lines.insert(line_key(t, row));
  // With many lines, Monte Carlo points share one legend entry (their colour is their line's), and
  // long entries are stacked in one column so that the legend never runs off the canvas.
  const bool shared_mc_entry = lines.size() > 2;
  size_t most = 0, longest = 0;
  for (const auto& l : lines) longest = std::max(longest, l.size() + 28);
  for (const auto& p : panels) {
    size_t theory = 0, mc = 0;
    for (const auto& q : p.second) {
      theory += q.theory.empty() ? 0 : 1;
      mc += q.mean.empty() ? 0 : 1;
    }
    most = std::max(most, theory * lines.size() + (shared_mc_entry ? (mc > 0 ? 1 : 0) : mc * lines.size()) +
                              (has(t, "verdict") ? 1 : 0) + (p.first.levels.empty() ? 0 : 1));
  }
  const bool one_column = longest > 45;
  const Canvas c = canvas(ext, heatmap ? 1 : static_cast<int>(panels.size()),
                          static_cast<int>(std::count(title.begin(), title.end(), '\n')) + 1,
                          heatmap ? 1 : static_cast<int>(one_column ? 2 * most : most), static_cast<int>(longest));

  std::ostringstream script;
  script << c.terminal << "\nset output " << quoted(path) << "\n";
  script << "set encoding utf8\nset datafile missing 'NaN'\nset grid lc rgb '#d0d0d0'\n";
  script << "set linetype 1 lc rgb '#0072b2' lw 2 pt 7\nset linetype 2 lc rgb '#d55e00' lw 2 pt 5\n"
            "set linetype 3 lc rgb '#009e73' lw 2 pt 9\nset linetype 4 lc rgb '#cc79a7' lw 2 pt 11\n"
            "set linetype 5 lc rgb '#e69f00' lw 2 pt 13\nset linetype 6 lc rgb '#56b4e9' lw 2 pt 7\n"
            "set linetype 7 lc rgb '#000000' lw 2 pt 5\nset linetype 8 lc rgb '#f0e442' lw 2 pt 9\nset linetype cycle 8\n";
  script << "set key below center horizontal samplen 2.5 spacing 1.1" << (one_column ? " maxcols 1" : "")
         << "\nset format y '%g'\nset format x '%g'\n";
  script << "set xlabel " << quoted(axis_label(model, x)) << "\n";
  if (logx) script << "set logscale x\n";
  if (logx && xs.size() <= 12 && *xs.rbegin() / *xs.begin() < 1e3) {  // a short log axis gets few automatic tics
    std::string tics;
    for (double v : xs) tics += (tics.empty() ? "" : ", ") + format(v);
    script << "set xtics (" << tics << ")\n";
  }
  for (const auto& p : model.numbers())
    if (p.name == x && p.domain == Domain::kPositiveInteger && !xs.empty() && *xs.rbegin() - *xs.begin() <= 20 && !logx)
      script << "set xtics 1\n";

  if (heatmap) {
    const PlotPanel& panel = panels[0].first;
    const Quantity& q = panels[0].second[0];
    const std::string value = !q.theory.empty() && has(t, q.theory) ? q.theory : (q.mean.empty() ? q.theory : q.mean);
    bool positive = true;
    for (const auto& row : t.rows) positive = positive && !(cell(t, row, value) <= 0.0);
    const bool logz = (options.logy == 1 || (options.logy == -1 && panel.logy)) && positive;
    std::vector<std::pair<std::pair<double, double>, double>> grid;
    for (const auto& row : t.rows) {
      const double v = cell(t, row, value);
      grid.push_back({{cell(t, row, group), cell(t, row, x)}, logz ? std::log10(v) : v});
    }
    std::sort(grid.begin(), grid.end());
    std::vector<std::string> lines;
    for (size_t i = 0; i < grid.size(); ++i) {
      if (i > 0 && grid[i].first.first != grid[i - 1].first.first) lines.emplace_back("");
      lines.push_back(datum(grid[i].first.second) + " " + datum(grid[i].first.first) + " " + datum(grid[i].second));
    }
    script << datablock("$grid", lines);
    // Each point fills the cell between the midpoints to its neighbours (geometric on a log axis),
    // so any rectangular grid, linear or log-spaced, is drawn as it was computed.
    const bool logy_axis = auto_logx(ys);
    auto cells = [](const std::set<double>& v, bool log) {
      const std::vector<double> g(v.begin(), v.end());
      std::map<double, std::pair<double, double>> out;
      auto mid = [log](double a, double b) { return log ? std::sqrt(a * b) : 0.5 * (a + b); };
      for (size_t i = 0; i < g.size(); ++i) {
        const double lo = i > 0 ? mid(g[i - 1], g[i]) : (g.size() > 1 ? (log ? g[0] * g[0] / mid(g[0], g[1]) : 2 * g[0] - mid(g[0], g[1])) : g[0] - 0.5);
        const double hi = i + 1 < g.size() ? mid(g[i], g[i + 1])
                                           : (g.size() > 1 ? (log ? g[i] * g[i] / mid(g[i - 1], g[i]) : 2 * g[i] - mid(g[i - 1], g[i])) : g[i] + 0.5);
        out[g[i]] = {lo, hi};
      }
      return out;
    };
    const auto xcell = cells(xs, logx), ycell = cells(ys, logy_axis);
    std::vector<std::string> boxes;
    for (const auto& [yx, v] : grid) {
      if (!std::isfinite(v)) continue;
      const auto [x0, x1] = xcell.at(yx.second);
      const auto [y0, y1] = ycell.at(yx.first);
      boxes.push_back(datum(yx.second) + " " + datum(yx.first) + " " + datum(x0) + " " + datum(x1) + " " + datum(y0) + " " +
                      datum(y1) + " " + datum(v));
    }
    script << datablock("$cells", boxes);
    if (logy_axis) script << "set logscale y\n";
    script << "set ylabel " << quoted(axis_label(model, group)) << "\n";
    script << "set cblabel " << quoted((logz ? "log10 " : "") + panel.ylabel) << "\n";
    script << "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n";
    script << "set autoscale fix\nunset grid\nset tics front\n";
    std::string contours;
    if (!panel.levels.empty()) {
      std::string levels;
      for (double l : panel.levels) levels += (levels.empty() ? "" : ",") + format(logz ? std::log10(l) : l);
      script << "set contour base\nset cntrparam linear levels discrete " << levels << "\nunset surface\n"
             << "set table $contours\nsplot $grid using 1:2:3\nunset table\nunset contour\nset surface\n";
      contours = ", $contours using 1:2 with lines lw 3 lc rgb '#e41a1c' title " + quoted(panel.levels_label);
    }
    script << "set title " << quoted(title) << "\n";
    script << "plot $cells using 1:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle" << contours << "\n";
  } else {
    // Lines in the order of the table (a sweep's outer loop runs in ascending order).
    std::vector<std::pair<std::string, std::vector<const std::vector<Table::Cell>*>>> groups;
    std::map<std::string, std::vector<const std::vector<Table::Cell>*>> dense_groups;
    for (const auto& row : t.rows) {
      const std::string key = line_key(t, row);
      auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
      if (it == groups.end()) it = groups.insert(groups.end(), {key, {}});
      it->second.push_back(&row);
    }
    if (dense)
      for (const auto& row : dense->rows) dense_groups[line_key(*dense, row)].push_back(&row);
    const bool validate = has(t, "verdict");
    const size_t n = panels.size();
    // Room for the error bars of the end points and above the highest point.
    script << "set autoscale xfix\nset offsets graph 0.02, graph 0.02, graph 0.04, 0\n";
    if (n > 1) script << "set multiplot layout 1," << n << " title " << quoted(title) << "\n";
    else script << "set title " << quoted(title) << "\n";
    int block = 0;
    for (const auto& [panel, qs] : panels) {
      std::vector<double> all_y;
      bool failed_titled = false;
      std::vector<std::string> clauses;
      int gi = 0;
      for (const auto& [g, rows] : groups) {
        const std::string suffix = g.empty() ? "" : "  " + g;
        for (size_t qi = 0; qi < qs.size(); ++qi) {
          const Quantity& q = qs[qi];
          // One group: a colour per quantity; several groups: a colour per group, a dash per quantity.
          const int colour = groups.size() > 1 ? gi + 1 : static_cast<int>(qi) + 1;
          const int dash = groups.size() > 1 ? static_cast<int>(qi) + 1 : 1;
          const std::string name = (q.output == "test_error" ? "test" : q.output == "train_error" ? "train" : q.output);
          if (!q.theory.empty()) {
            const bool from_dense = dense && has(*dense, q.theory) && dense_groups.count(g);
            const Table& src = from_dense ? *dense : t;
            std::vector<std::pair<double, double>> pts;
            for (const auto* row : from_dense ? dense_groups[g] : rows) pts.emplace_back(cell(src, *row, x), cell(src, *row, q.theory));
            std::sort(pts.begin(), pts.end());
            std::vector<std::string> lines;
            for (const auto& [px, py] : pts) {
              lines.push_back(datum(px) + " " + datum(py));
              if (std::isfinite(py)) all_y.push_back(py);
            }
            const std::string b = "$b" + std::to_string(block++);
            script << datablock(b, lines);
            const bool theory_label = !q.mean.empty();
            // A handful of points (a depth list) are marked: the line between them is not computed.
            const std::string style = pts.size() <= 12 ? "linespoints ps 0.9" : "lines";
            clauses.push_back(b + " using 1:2 with " + style + " lt " + std::to_string(colour) + " dt " + std::to_string(dash) +
                              " title " + quoted(name + (theory_label ? " (theory)" : "") + suffix));
          }
          if (!q.mean.empty()) {
            std::vector<std::pair<double, std::string>> pts, failed;
            for (const auto* row : rows) {
              const double px = cell(t, *row, x), m = cell(t, *row, q.mean), se = cell(t, *row, q.se);
              pts.emplace_back(px, datum(px) + " " + datum(m) + " " + datum(se));
              if (std::isfinite(m)) all_y.push_back(m);
              const size_t vc = column(t, "verdict");
              if (validate && std::holds_alternative<std::string>((*row)[vc]) && std::get<std::string>((*row)[vc]) == "FAIL")
                failed.emplace_back(px, datum(px) + " " + datum(m));
            }
            std::sort(pts.begin(), pts.end());
            std::vector<std::string> lines;
            for (const auto& p : pts) lines.push_back(p.second);
            const std::string b = "$b" + std::to_string(block++);
            script << datablock(b, lines);
            // Without a theory line the Monte Carlo points are joined to show the trend.
            clauses.push_back(b + " using 1:2:3 with " + (q.theory.empty() ? "yerrorlines" : "yerrorbars") + " lt " +
                              std::to_string(colour) + " dt 1 ps 0.9 " +
                              (shared_mc_entry && !q.theory.empty()
                                   ? std::string("notitle")
                                   : "title " + quoted(name + (q.theory.empty() ? "" : " (Monte Carlo)") + suffix)));
            if (!failed.empty()) {
              std::vector<std::string> f;
              for (const auto& p : failed) f.push_back(p.second);
              const std::string fb = "$b" + std::to_string(block++);
              script << datablock(fb, f);
              clauses.push_back(fb + " using 1:2 with points pt 6 ps 2.6 lw 2 lc rgb '#e41a1c' " +
                                (failed_titled ? "notitle" : "title 'failed verdict'"));
              failed_titled = true;
            }
          }
        }
        ++gi;
      }
      if (shared_mc_entry && std::any_of(qs.begin(), qs.end(), [](const Quantity& q) { return !q.theory.empty() && !q.mean.empty(); }))
        clauses.push_back("NaN with points pt 7 lc rgb '#555555' title 'Monte Carlo ± 1 SE (colour of its line)'");
      for (size_t i = 0; i < panel.levels.size(); ++i)
        clauses.push_back(format(panel.levels[i]) + " with lines dt 3 lw 1.5 lc rgb '#555555' " +
                          (i == 0 && !panel.levels_label.empty() ? "title " + quoted(panel.levels_label) : "notitle"));
      bool positive = !all_y.empty(), any_positive = false;
      double top = 0.0, bottom = INFINITY;
      for (double y : all_y) {
        positive = positive && y > 0.0;
        if (y > 0.0) {
          any_positive = true;
          top = std::max(top, y);
          bottom = std::min(bottom, y);
        }
      }
      // Log y where the model asks for it (losses decaying over decades) or --logy; errors stay linear
      // so that a double-descent peak keeps its shape.
      const bool logy = options.logy == 1 || (options.logy == -1 && any_positive && panel.logy);
      script << (logy ? "set logscale y\n" : "unset logscale y\n");
      // A loss that reaches 0 (or 1e-30) would stretch a log axis over dozens of empty decades.
      if (logy && any_positive && (!positive || bottom < 1e-10 * top))
        script << "set yrange [" << format(std::max(bottom, 1e-10 * top)) << ":*]\n";
      else script << "set yrange [*:*]\n";
      script << "set ylabel " << quoted(panel.ylabel) << "\n";
      if (n > 1) script << "unset title\n";
      script << "plot ";
      for (size_t i = 0; i < clauses.size(); ++i) script << (i ? ", \\\n     " : "") << clauses[i];
      script << "\n";
    }
    if (n > 1) script << "unset multiplot\n";
  }

  const auto dir = fs::temp_directory_path() / ("rmtsolve_plot_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string script_file = (dir / "plot.gp").string();
  std::ofstream(script_file) << script.str();
  const std::string command = "gnuplot " + quoted(script_file) + " 2>" + quoted((dir / "gnuplot.err").string());
  const int status = std::system(command.c_str());
  std::string err, line;
  {
    std::ifstream e(dir / "gnuplot.err");
    while (std::getline(e, line))
      if (line.find("warning") == std::string::npos && !line.empty()) err += (err.empty() ? "" : " ") + line;
  }
  if (std::getenv("RMTSOLVE_KEEP_PLOT_SCRIPT")) fs::copy_file(script_file, path + ".gp", fs::copy_options::overwrite_existing);
  fs::remove_all(dir);
  if (status != 0) throw std::runtime_error("gnuplot failed: " + err.substr(0, 400));
}

}  // namespace rmtsolve
