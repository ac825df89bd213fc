#pragma once
#include <string>

#include "rmtsolve/engine/sweep.hpp"

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

/// What a rank found when checking its input before any work: code 0 = fine, else the exit code
/// and the one-line message.
struct Verdict {
  int code = 0;
  std::string message;
};
/// Collective, called by every rank at the same place before any work: all ranks get the verdict
/// of the lowest-numbered rank that found a problem (so every rank exits with the same code and
/// only rank 0 needs to print), or code 0 when all are fine.
Verdict agree(const Verdict& mine, const Distributed& d);

/// An error once the work has started: the other ranks may already wait in a collective for this
/// one, so the whole job is ended now with `code` (mpirun's exit code) instead of hanging.  The
/// caller has printed its one-line message.  Returns only without MPI or with a single rank.
void end_job(int code, const Distributed& d);

}  // namespace rmtsolve::cli
