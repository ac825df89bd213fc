#pragma once
#include <string>
#include <utility>
#include <vector>

namespace rmtsolve {

/// What a table needs besides its parameters to be trusted and reproduced: the git revision of
/// the build ("-dirty" with uncommitted changes), the UTC time, the host CPU, the BLAS library and
/// the kernel OpenBLAS selected for this CPU at run time, and the worker threads of a Monte Carlo
/// run (`threads` < 0: none; 0: one per core).  Key-value pairs for Table::metadata.
std::vector<std::pair<std::string, std::string>> run_provenance(int threads);

}  // namespace rmtsolve
