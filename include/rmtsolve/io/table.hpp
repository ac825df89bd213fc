#pragma once
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace rmtsolve {

/// The shortest text that reads back as exactly `v` (1e-08, 0.1, 3): for recorded options.
std::string format_exact(double v);

/// A result table: named columns, one row per grid point.  Cells are numbers or text; a NaN number
/// means "no value" (e.g. a point that did not converge) and is written as empty/null.
struct Table {
  using Cell = std::variant<double, std::string>;
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
  /// Provenance written with the table (version, command line, model spec, solver options).
  std::vector<std::pair<std::string, std::string>> metadata;

  std::string to_csv() const;
  /// JSON: {"metadata", "columns", "rows"}; a missing value (NaN) is null, ±∞ are the strings "inf"
  /// and "-inf" (JSON has no infinities), so null never stands for a computed value.
  std::string to_json() const;
  /// Aligned columns with 6 significant digits for a terminal; `hidden` names the columns left out
  /// (listed in a closing comment line so the reader knows they exist).
  std::string to_text(const std::vector<std::string>& hidden = {}) const;
  /// The table restricted to `names`, in that order; InvalidInput("columns", …) for an unknown name.
  Table select(const std::vector<std::string>& names) const;
  /// Writes csv, json or table to `path` with write_output_file (rmtsolve/io/output_file.hpp): stdout
  /// for an empty path or "-", directly into a device or FIFO, otherwise an atomic replacement of
  /// the (symlink-resolved) target.
  void write(const std::string& format, const std::string& path, const std::vector<std::string>& hidden = {}) const;
};

}  // namespace rmtsolve
