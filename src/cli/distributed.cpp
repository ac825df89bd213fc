#include "distributed.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <numeric>

#ifdef RMTSOLVE_WITH_MPI
#include <mpi.h>
#endif

namespace rmtsolve::cli {
namespace {

nlohmann::json rows_to_json(const SweepOutcome& o) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t r = 0; r < o.table.rows.size(); ++r) {
    nlohmann::json cells = nlohmann::json::array();
    for (const auto& c : o.table.rows[r]) {
      // nlohmann writes ±inf as null: infinities travel tagged, so rank 0 gets back what was computed.
      if (const double* v = std::get_if<double>(&c))
        cells.push_back(std::isnan(*v) ? nlohmann::json(nullptr)
                        : std::isinf(*v) ? nlohmann::json({{"inf", *v > 0 ? 1 : -1}})
                                         : nlohmann::json(*v));
      else cells.push_back(std::get<std::string>(c));
    }
    rows.push_back({{"index", o.point_index[r]}, {"cells", cells}});
  }
  return {{"rows", rows}, {"failed", o.failed_points}, {"notes", o.notes}, {"interrupted", o.interrupted}};
}

void append_from_json(const nlohmann::json& j, SweepOutcome& out) {
  for (const auto& row : j["rows"]) {
    std::vector<Table::Cell> cells;
    for (const auto& c : row["cells"]) {
      if (c.is_null()) cells.emplace_back(std::nan(""));
      else if (c.is_object()) cells.emplace_back(c["inf"].get<int>() * INFINITY);
      else if (c.is_number()) cells.emplace_back(c.get<double>());
      else cells.emplace_back(c.get<std::string>());
    }
    out.table.rows.push_back(std::move(cells));
    out.point_index.push_back(row["index"].get<size_t>());
  }
  out.failed_points += j["failed"].get<int>();
  for (const auto& n : j["notes"]) out.notes.push_back(n.get<std::string>());
  out.interrupted = out.interrupted || j["interrupted"].get<bool>();
}

}  // namespace

#ifdef RMTSOLVE_WITH_MPI

Distributed start_distributed(int& argc, char**& argv) {
  // Only under a launcher: a plain run must not pay for (or depend on) MPI start-up.
  if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMI_SIZE")) return {};
  MPI_Init(&argc, &argv);
  Distributed d;
  MPI_Comm_rank(MPI_COMM_WORLD, &d.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &d.size);
  return d;
}

void stop_distributed(const Distributed& d) {
  if (d.size > 1 || std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE")) MPI_Finalize();
}

SweepOutcome gather(const SweepOutcome& local, const Distributed& d) {
  if (d.size == 1) return local;
  const std::string mine = rows_to_json(local).dump();
  const int length = static_cast<int>(mine.size());
  std::vector<int> lengths(static_cast<size_t>(d.size)), offsets(static_cast<size_t>(d.size));
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (d.rank == 0) {
    std::exclusive_scan(lengths.begin(), lengths.end(), offsets.begin(), 0);
    all.resize(static_cast<size_t>(offsets.back() + lengths.back()));
  }
  MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  SweepOutcome merged;
  merged.table.columns = local.table.columns;
  merged.table.metadata = local.table.metadata;
  if (d.rank != 0) return merged;
  for (int r = 0; r < d.size; ++r)
    append_from_json(nlohmann::json::parse(all.substr(static_cast<size_t>(offsets[r]), static_cast<size_t>(lengths[r]))), merged);
  // Restore sweep order.
  std::vector<size_t> order(merged.table.rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return merged.point_index[a] < merged.point_index[b]; });
  SweepOutcome sorted = merged;
  for (size_t i = 0; i < order.size(); ++i) {
    sorted.table.rows[i] = merged.table.rows[order[i]];
    sorted.point_index[i] = merged.point_index[order[i]];
  }
  sorted.table.metadata.emplace_back("mpi_ranks", std::to_string(d.size));
  return sorted;
}

void share_seeds(SimulationOptions& options, const Distributed& d) {
  if (d.size == 1) return;
  options.seeds.shard = d.rank;
  options.seeds.shard_count = d.size;
  options.pool_seeds = [size = d.size](const std::vector<mc::Estimate>& mine) {
    // A rank with no seed of its own reports no outputs: agree on the count first.
    int outputs = static_cast<int>(mine.size());
    MPI_Allreduce(MPI_IN_PLACE, &outputs, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    std::vector<double> local(3 * static_cast<size_t>(outputs), 0.0), all(local.size() * static_cast<size_t>(size));
    for (size_t k = 0; k < mine.size(); ++k) {
      const mc::SeedMoments m = mc::moments_of(mine[k]);
      local[3 * k] = m.count;
      local[3 * k + 1] = m.sum;
      local[3 * k + 2] = m.centred_squares;
    }
    MPI_Allgather(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, all.data(), static_cast<int>(local.size()),
                  MPI_DOUBLE, MPI_COMM_WORLD);
    std::vector<mc::Estimate> pooled(static_cast<size_t>(outputs));
    for (size_t k = 0; k < pooled.size(); ++k) {
      mc::SeedMoments total;
      for (size_t r = 0; r < static_cast<size_t>(size); ++r) {
        const double* m = &all[r * local.size() + 3 * k];
        total += mc::SeedMoments{m[0], m[1], m[2]};
      }
      pooled[k] = mc::estimate_of(total);
    }
    return pooled;
  };
}

Verdict agree(const Verdict& mine, const Distributed& d) {
  if (d.size == 1) return mine;
  std::vector<int> codes(static_cast<size_t>(d.size));
  MPI_Allgather(&mine.code, 1, MPI_INT, codes.data(), 1, MPI_INT, MPI_COMM_WORLD);
  const auto first = std::find_if(codes.begin(), codes.end(), [](int c) { return c != 0; });
  if (first == codes.end()) return {};
  const int root = static_cast<int>(first - codes.begin());
  Verdict v{*first, d.rank == root ? mine.message : std::string()};
  int length = static_cast<int>(v.message.size());
  MPI_Bcast(&length, 1, MPI_INT, root, MPI_COMM_WORLD);
  v.message.resize(static_cast<size_t>(length));
  MPI_Bcast(v.message.data(), length, MPI_CHAR, root, MPI_COMM_WORLD);
  return v;
}

void end_job(int code, const Distributed& d) {
  if (d.size == 1) return;
  std::fflush(nullptr);
  // MPI_Abort ends every rank, also those blocked in MPI_Gather or in the seed pooling's
  // MPI_Allreduce, and mpirun exits with `code`.
  MPI_Abort(MPI_COMM_WORLD, code);
}

#else

Verdict agree(const Verdict& mine, const Distributed&) { return mine; }
void end_job(int, const Distributed&) {}
void share_seeds(SimulationOptions&, const Distributed&) {}
Distributed start_distributed(int&, char**&) { return {}; }
void stop_distributed(const Distributed&) {}
SweepOutcome gather(const SweepOutcome& local, const Distributed&) { return local; }

#endif

}  // namespace rmtsolve::cli
