#pragma once
#include <memory>

#include "equations/linear_dynamics/saxe.hpp"
#include "equations/linear_dynamics/single_neuron.hpp"
#include "equations/linear_dynamics/width_model.hpp"

// Exact gradient-flow dynamics of shallow linear networks (docs/theory/dynamics.md §1): the width-d
// scalar-data model (§1.1), Kunin et al.'s single neuron (§1.2), Saxe et al.'s modes (§1.3).
// README.md beside this file gives the equations and their status.

namespace rmtsolve {
class Model;
namespace linear_dynamics {
std::unique_ptr<Model> make_dynamics_model();       // "linear-dynamics": trajectory of a drawn network
std::unique_ptr<Model> make_phase_model();          // "linear-phase": (1.5) over hyperparameters and d^a laws
std::unique_ptr<Model> make_single_neuron_model();  // "single-neuron": Kunin's neuron, Σ = σ²I
std::unique_ptr<Model> make_saxe_model();           // "saxe": one mode, any depth
}  // namespace linear_dynamics
}  // namespace rmtsolve
