#include "rmtsolve/core/grid.hpp"

#include <cmath>
#include <sstream>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, sep)) parts.push_back(item);
  if (!text.empty() && text.back() == sep) parts.emplace_back();
  return parts;
}

double parse_number(const std::string& s, const std::string& parameter, const std::string& whole,
                    const char* expected = "a number, start:stop:count[:log] or a comma list") {
  size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (s.empty() || used != s.size())
    throw InvalidInput(parameter, "malformed value '" + s + "' in '" + whole + "' (expected " + expected + ")");
  if (!std::isfinite(v)) throw InvalidInput(parameter, "value must be finite, got '" + s + "'");
  return v;
}

std::vector<double> parse_range(const std::vector<std::string>& f, const std::string& parameter,
                                const std::string& whole) {
  const bool logarithmic = f.size() == 4;
  if (f.size() != 3 && !(logarithmic && f[3] == "log"))
    throw InvalidInput(parameter, "malformed grid '" + whole + "' (expected start:stop:count[:log])");
  const double a = parse_number(f[0], parameter, whole), b = parse_number(f[1], parameter, whole);
  const double count = parse_number(f[2], parameter, whole);
  if (count < 1 || count != std::floor(count) || count > 1e6)
    throw InvalidInput(parameter, "grid count must be a whole number from 1 to 10^6 in '" + whole + "'");
  if (logarithmic && !(a > 0.0 && b > 0.0))
    throw InvalidInput(parameter, "a log grid needs positive ends in '" + whole + "'");
  const int n = static_cast<int>(count);
  std::vector<double> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double u = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
    v[static_cast<size_t>(i)] = logarithmic ? std::exp(std::log(a) + u * (std::log(b) - std::log(a))) : a + u * (b - a);
  }
  return v;
}

}  // namespace

std::vector<double> parse_number_list(const std::string& text, const std::string& parameter, const std::string& whole) {
  std::vector<double> v;
  for (const auto& item : split(text, ',')) v.push_back(parse_number(item, parameter, whole, "a comma list of numbers"));
  return v;
}

std::vector<double> parse_grid(const std::string& text, const std::string& parameter) {
  if (text.find(':') != std::string::npos) return parse_range(split(text, ':'), parameter, text);
  std::vector<double> v;
  for (const auto& item : split(text, ',')) v.push_back(parse_number(item, parameter, text));
  if (v.empty()) throw InvalidInput(parameter, "empty value");
  return v;
}

}  // namespace rmtsolve
