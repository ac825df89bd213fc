#pragma once
#include <stdexcept>
#include <string>

namespace rmtsolve {

/// Raised for any input that cannot describe a valid problem. `what()` is a one-line message that
/// names the offending parameter and the reason, so the CLI can print it unchanged.
class InvalidInput : public std::invalid_argument {
 public:
  InvalidInput(const std::string& parameter, const std::string& reason)
      : std::invalid_argument(parameter.empty() ? reason : parameter + ": " + reason),
        parameter_(parameter) {}
  const std::string& parameter() const { return parameter_; }

 private:
  std::string parameter_;
};

/// A Monte Carlo trainer (e.g. a logistic or hinge readout) that did not reach its tolerance in one
/// seed.  Not bad input: the point has no estimate, and the sweep keeps its row (empty cells,
/// status not_converged), reports it and goes on with the other points (exit 3, nothing lost).
class TrainingNotConverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rmtsolve
