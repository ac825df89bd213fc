#pragma once
#include <string>
#include <vector>

#include "rmtsolve/io/table.hpp"

namespace rmtsolve::cli {

/// Records what is needed to trust and reproduce a table beyond its parameters: the git revision
/// of the build, the UTC time, the host CPU, the BLAS library and kernel actually in use, the worker
/// threads (`threads` < 0: no Monte Carlo) and the SHA-256 of every input file.
void add_provenance(Table& table, int threads, const std::vector<std::string>& input_files);

/// Lower-case hex SHA-256 of a file's bytes; InvalidInput naming `parameter` if it cannot be read.
std::string sha256_of_file(const std::string& path, const std::string& parameter);

}  // namespace rmtsolve::cli
