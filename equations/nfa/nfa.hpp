#pragma once
#include <memory>

#include "rmtsolve/model/model.hpp"

namespace rmtsolve::nfa {

/// The simulate-only model "nfa": an MLP trained by full-batch GD or Adam, with the feature-learning
/// diagnostics of docs/theory/dynamics.md §2 at each step of the grid (README.md beside this file).
std::unique_ptr<Model> make_model();

}  // namespace rmtsolve::nfa
