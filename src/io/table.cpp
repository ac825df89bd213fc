#include "rmtsolve/io/table.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/io/output_file.hpp"

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

std::string format_exact(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// A metadata value on its "# key: value" line: control characters (a newline typed into a flag)
// escaped, so that every header line stays one comment line and the CSV below stays readable.
static std::string one_line(const std::string& value) {
  std::string out;
  for (unsigned char ch : value) {
    if (ch == '\n') out += "\\n";
    else if (ch == '\r') out += "\\r";
    else if (ch == '\t') out += "\\t";
    else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

std::string Table::to_csv() const {
  std::ostringstream out;
  for (const auto& [key, value] : metadata) out << "# " << key << ": " << one_line(value) << "\n";
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

std::string Table::to_text(const std::vector<std::string>& hidden) const {
  std::vector<std::vector<std::string>> cells(rows.size() + 1);
  std::vector<size_t> width(columns.size());
  std::vector<bool> numeric(columns.size(), true);
  for (size_t c = 0; c < columns.size(); ++c) {
    cells[0].push_back(columns[c]);
    for (size_t r = 0; r < rows.size(); ++r) {
      std::string text;
      if (const double* v = std::get_if<double>(&rows[r][c])) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", *v);
        text = std::isnan(*v) ? "-" : buf;
      } else {
        text = std::get<std::string>(rows[r][c]);
        numeric[c] = false;
      }
      cells[r + 1].push_back(text);
    }
    for (const auto& line : cells) width[c] = std::max(width[c], line[c].size());
  }
  std::ostringstream out;
  for (const auto& [key, value] : metadata)
    if (key == "model" || key == "d" || key == "seeds" || key == "n_test" || key == "interrupted")
      out << "# " << key << ": " << one_line(value) << "\n";
  for (const auto& line : cells) {
    for (size_t c = 0; c < line.size(); ++c) {
      const std::string pad(width[c] - line[c].size(), ' ');
      out << (c ? "  " : "") << (numeric[c] ? pad + line[c] : line[c] + (c + 1 < line.size() ? pad : ""));
    }
    out << "\n";
  }
  if (!hidden.empty()) {
    out << "# " << hidden.size() << " more columns (--columns NAME,... or --columns all):";
    for (const auto& h : hidden) out << " " << h;
    out << "\n";
  }
  return out.str();
}

Table Table::select(const std::vector<std::string>& names) const {
  Table t;
  t.metadata = metadata;
  std::vector<size_t> index;
  for (const auto& n : names) {
    const auto it = std::find(columns.begin(), columns.end(), n);
    if (it == columns.end()) {
      std::string known;
      for (const auto& c : columns) known += (known.empty() ? "" : ",") + c;
      throw InvalidInput("columns", "unknown column '" + n + "' (columns: " + known + ")");
    }
    index.push_back(static_cast<size_t>(it - columns.begin()));
    t.columns.push_back(n);
  }
  for (const auto& row : rows) {
    std::vector<Cell> r;
    for (size_t i : index) r.push_back(row[i]);
    t.rows.push_back(std::move(r));
  }
  return t;
}

void Table::write(const std::string& format, const std::string& path, const std::vector<std::string>& hidden) const {
  if (format != "csv" && format != "json" && format != "table")
    throw InvalidInput("format", "must be csv, json or table, got '" + format + "'");
  const std::string text = format == "csv" ? to_csv() : format == "json" ? to_json() : to_text(hidden);
  write_output_file(path, text, "output");
}

}  // namespace rmtsolve
