#pragma once
#include <string>
#include <vector>

#include "rmtsolve/engine/sweep.hpp"

namespace rmtsolve {

/// A validation suite (validation/*.json): one model, one or more runs of parameters in the CLI's
/// grid syntax, the Monte Carlo size for the full run and a reduced size for CI, and the tolerance.
///
///   { "model": "srf", "description": "...",
///     "simulation": {"d": 1000, "seeds": 8, "n_test": 5000},
///     "reduced": {"d": 300, "seeds": 4},
///     "tolerance": {"k_sigma": 3},
///     "runs": [ {"activation": "tanh", "alpha": "0.25:3:12", "eta": "1"}, ... ] }
struct Suite {
  std::string path, model, description;
  SimulationOptions full, reduced;
  ValidationTolerance tolerance;
  std::vector<SweepSpec> runs;
};

/// Reads and checks a suite file; InvalidInput names the file and the offending field.
Suite load_suite(const std::string& path);

}  // namespace rmtsolve
