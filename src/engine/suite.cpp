#include "rmtsolve/engine/suite.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/grid.hpp"
#include "rmtsolve/engine/options.hpp"

namespace rmtsolve {
namespace {

using json = nlohmann::json;

SimulationOptions simulation_of(const json& j, SimulationOptions base, const std::string& where) {
  if (!j.is_object()) throw InvalidInput(where, "must be an object");
  for (const auto& [key, value] : j.items()) {
    if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<long long>() < 0))
      throw InvalidInput(where + "." + key, "must be a non-negative integer");
    if (key == "seed") {
      base.seeds.base_seed = value.get<std::uint64_t>();
      continue;
    }
    // Bounds before conversion: {"d": 4294967297} must not wrap to d = 1.
    if (value.get<std::uint64_t>() > static_cast<std::uint64_t>(OptionLimits::kMaxNTest))
      throw InvalidInput(where + "." + key, "must be at most " + std::to_string(OptionLimits::kMaxNTest));
    const int v = static_cast<int>(value.get<std::uint64_t>());
    if (key == "d") base.d = v;
    else if (key == "seeds") base.seeds.seeds = v;
    else if (key == "n_test") base.n_test = v;
    else throw InvalidInput(where + "." + key, "unknown field (d, seeds, n_test, seed)");
  }
  try {
    check_simulation_options(base);
  } catch (const InvalidInput& e) {
    throw InvalidInput(where + "." + e.parameter(), std::string(e.what()).substr(e.parameter().size() + 2));
  }
  return base;
}

SweepSpec run_of(const json& j, const Model& model, const std::string& where) {
  if (!j.is_object()) throw InvalidInput(where, "must be an object of parameter: value");
  SweepSpec spec;
  for (const auto& [key, value] : j.items()) {
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    bool known = false;
    for (const auto& p : model.numbers())
      if (p.name == key) {
        spec.grids[key] = parse_grid(text, where + "." + key);
        known = true;
      }
    for (const auto& p : model.texts())
      if (p.name == key) {
        spec.texts[key] = text;
        known = true;
      }
    if (!known) throw InvalidInput(where + "." + key, "not a parameter of model " + model.name());
  }
  return spec;
}

Suite read_suite(const std::string& path, const json& doc);

}  // namespace

Suite load_suite(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InvalidInput("suite", "'" + path.substr(0, 60) + "' is a directory, not a suite file");
  std::ifstream in(path);
  if (!in) throw InvalidInput("suite", "cannot open '" + path.substr(0, 60) + "'");
  // Any JSON-level failure — syntax, a number that overflows, a field of the wrong type — is the
  // user's file being wrong (found by fuzzing: nlohmann reports overflow as out_of_range).
  try {
    return read_suite(path, json::parse(in));
  } catch (const json::exception& e) {
    throw InvalidInput("suite", path + ": malformed suite: " + e.what());
  }
}

namespace {

Suite read_suite(const std::string& path, const json& doc) {
  Suite s;
  s.path = path;
  if (!doc.contains("model") || !doc["model"].is_string()) throw InvalidInput("suite", path + ": needs a \"model\" string");
  s.model = doc["model"].get<std::string>();
  const Model& model = find_model(s.model);
  s.description = doc.value("description", "");
  if (doc.contains("simulation")) s.full = simulation_of(doc["simulation"], s.full, path + ": simulation");
  s.reduced = doc.contains("reduced") ? simulation_of(doc["reduced"], s.full, path + ": reduced") : s.full;
  if (doc.contains("tolerance")) {
    const json& t = doc["tolerance"];
    if (!t.is_object()) throw InvalidInput("suite", path + ": \"tolerance\" must be an object");
    for (const auto& [key, value] : t.items()) {
      if (key != "k_sigma" && key != "rel_tol") throw InvalidInput("suite", path + ": tolerance." + key + ": unknown field (k_sigma, rel_tol)");
      if (!value.is_number()) throw InvalidInput("suite", path + ": tolerance." + key + ": must be a number");
    }
    s.tolerance.k_sigma = t.value("k_sigma", s.tolerance.k_sigma);
    s.tolerance.rel_tol = t.value("rel_tol", s.tolerance.rel_tol);
    try {  // the ranges of --k-sigma and --rel-tol
      check_verdict_options(s.tolerance);
      if (t.contains("rel_tol")) check_rel_tol(s.tolerance.rel_tol);
    } catch (const InvalidInput& e) {
      throw InvalidInput("suite", path + ": tolerance." + (e.parameter() == "k-sigma" ? "k_sigma" : "rel_tol") +
                                      std::string(e.what()).substr(e.parameter().size()));
    }
  }
  if (!doc.contains("runs") || !doc["runs"].is_array() || doc["runs"].empty())
    throw InvalidInput("suite", path + ": needs a non-empty \"runs\" array");
  for (size_t i = 0; i < doc["runs"].size(); ++i)
    s.runs.push_back(run_of(doc["runs"][i], model, path + ": runs[" + std::to_string(i) + "]"));
  for (const auto& key : doc.items())
    if (key.key() != "model" && key.key() != "description" && key.key() != "simulation" && key.key() != "reduced" &&
        key.key() != "tolerance" && key.key() != "runs")
      throw InvalidInput("suite", path + ": unknown field \"" + key.key() + "\"");
  return s;
}

}  // namespace

}  // namespace rmtsolve
