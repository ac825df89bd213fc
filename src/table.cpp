#include "rmtsolve/table.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rmtsolve/error.hpp"
#include "rmtsolve/output_file.hpp"

namespace rmtsolve {
namespace {

std::string format_number(double v) {
  if (std::isnan(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string Table::to_csv() const {
  std::ostringstream out;
  for (const auto& [key, value] : metadata) out << "# " << key << ": " << value << "\n";
  for (size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c];
  out << "\n";
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) out << ",";
      if (const double* v = std::get_if<double>(&row[c])) out << format_number(*v);
      else out << csv_quote(std::get<std::string>(row[c]));
    }
    out << "\n";
  }
  return out.str();
}

std::string Table::to_json() const {
  nlohmann::ordered_json doc;
  auto& meta = doc["metadata"] = nlohmann::ordered_json::object();
  for (const auto& [key, value] : metadata) meta[key] = value;
  doc["columns"] = columns;
  auto& out_rows = doc["rows"] = nlohmann::ordered_json::array();
  for (const auto& row : rows) {
    nlohmann::ordered_json r = nlohmann::ordered_json::object();
    for (size_t c = 0; c < row.size(); ++c) {
      // JSON has no infinity: ±inf is the string "inf"/"-inf", spelt as in CSV, so that a
      // legitimately infinite value (a kernel derivative at rho = ±1) never reads as missing (null).
      if (const double* v = std::get_if<double>(&row[c]))
        r[columns[c]] = std::isnan(*v)   ? nlohmann::ordered_json(nullptr)
                        : std::isinf(*v) ? nlohmann::ordered_json(*v > 0 ? "inf" : "-inf")
                                         : nlohmann::ordered_json(*v);
      else r[columns[c]] = std::get<std::string>(row[c]);
    }
    out_rows.push_back(std::move(r));
  }
  return doc.dump(2) + "\n";
}

void Table::write(const std::string& format, const std::string& path) const {
  if (format != "csv" && format != "json") throw InvalidInput("format", "must be csv or json, got '" + format + "'");
  const std::string text = format == "csv" ? to_csv() : to_json();
  write_output_file(path, text, "output");
}

}  // namespace rmtsolve
