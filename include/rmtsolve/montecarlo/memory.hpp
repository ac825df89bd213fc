#pragma once
#include <string>
#include <vector>

#include "rmtsolve/montecarlo/seeds.hpp"

namespace rmtsolve {

/// Bytes this process can still allocate without meeting the kernel's OOM killer: the smaller of
/// MemAvailable (/proc/meminfo) and the cgroup's limit minus its usage (v2 memory.max/current, v1
/// memory.limit_in_bytes/usage_in_bytes).  RMTSOLVE_MEMORY_LIMIT (bytes) caps it further, so that a
/// small machine can be emulated.  Infinity when nothing can be read.
double available_memory_bytes();

/// Peak bytes of drawing one seed of a dense network sample in double precision: the inputs
/// ((n + n_test) × d), the weights of every layer, and the features of two consecutive layers.
double dense_sample_bytes(double n, double n_test, double d, const std::vector<double>& widths);

/// Refuses, before anything is allocated, a Monte Carlo run whose seeds running at once (threads,
/// at most the number of seeds) need more than the available memory: InvalidInput naming
/// `parameter` (the flag that sets the size), the model and both estimates.
void check_memory(double bytes_per_seed, const mc::SeedOptions& seeds, const std::string& parameter,
                  const std::string& model);

}  // namespace rmtsolve
