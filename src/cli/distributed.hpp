#pragma once
#include "rmtsolve/sweep.hpp"

namespace rmtsolve::cli {

/// `mpirun -np K rmtsolve simulate|validate|curve …`: each rank computes every K-th grid point
/// (SweepSpec::shard), rank 0 gathers the rows, restores sweep order and writes the one table.
/// Without MPI support, or when not started by mpirun, there is one rank.
struct Distributed {
  int rank = 0, size = 1;
};
Distributed start_distributed(int& argc, char**& argv);
void stop_distributed(const Distributed& d);
SweepOutcome gather(const SweepOutcome& local, const Distributed& d);

/// The other way to spread a Monte Carlo run: every rank visits every point but runs only the
/// seeds i with i mod K == rank; the per-point estimates are pooled over ranks (exact moments, in
/// rank order), so every rank ends with the full table and rank 0 writes it.  For grids with fewer
/// points than ranks, or seeds that dominate the cost.
void share_seeds(SimulationOptions& options, const Distributed& d);

}  // namespace rmtsolve::cli
