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

}  // namespace rmtsolve::cli
