#pragma once
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace rmtsolve {

/// A result table: named columns, one row per grid point.  Cells are numbers or text; a NaN number
/// means "no value" (e.g. a point that did not converge) and is written as empty/null.
struct Table {
  using Cell = std::variant<double, std::string>;
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
  /// Provenance written with the table (version, command line, model spec, solver options).
  std::vector<std::pair<std::string, std::string>> metadata;

  std::string to_csv() const;
  std::string to_json() const;
  /// Writes csv or json to `path` with write_output_file (rmtsolve/output_file.hpp): stdout for an
  /// empty path or "-", directly into a device or FIFO, otherwise an atomic replacement of the
  /// (symlink-resolved) target.
  void write(const std::string& format, const std::string& path) const;
};

}  // namespace rmtsolve
