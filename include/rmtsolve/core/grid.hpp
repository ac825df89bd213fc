#pragma once
#include <string>
#include <vector>

namespace rmtsolve {

/// Values of one parameter along a sweep, parsed from the CLI's grid syntax:
///   "0.5"            one value
///   "0.2:4:20"       20 points from 0.2 to 4, equally spaced
///   "1e-4:1:9:log"   9 points from 1e-4 to 1, equally spaced in log
///   "0.1,0.5,2"      an explicit list
/// Throws InvalidInput naming `parameter` for malformed text or non-finite values.
std::vector<double> parse_grid(const std::string& text, const std::string& parameter);

/// A comma list of finite numbers inside a larger spec (e.g. the coefficients of "hermite:0,1,0.5"
/// or "erf:1,2,0"): InvalidInput naming `parameter` and quoting `whole` for a malformed item.
std::vector<double> parse_number_list(const std::string& text, const std::string& parameter, const std::string& whole);

}  // namespace rmtsolve
