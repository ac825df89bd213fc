#pragma once
#include <algorithm>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "rmtsolve/montecarlo/mlp.hpp"

namespace rmtsolve::mc {

/// Per-seed training runs of the last few sweeps, least recently used first out, so that a sweep
/// over checkpoint times trains every seed once (MlpTrainer resumes).  A seed whose run is already
/// past the requested step is retrained from its seed stream by the caller, which gives the same
/// numbers.  `Run` has `double bytes() const`.  Not thread-safe: the caller holds a lock.
template <class Run>
class RunCache {
 public:
  explicit RunCache(double budget_bytes) : budget_(budget_bytes) {}

  std::vector<std::unique_ptr<Run>>& runs(const std::string& key, int seeds) {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
    if (it == entries_.end()) {
      entries_.push_front({key, std::vector<std::unique_ptr<Run>>(static_cast<size_t>(seeds))});
    } else {
      entries_.splice(entries_.begin(), entries_, it);
    }
    return entries_.front().runs;
  }
  /// Drops the oldest entries (the current one last) until the kept runs fit the budget.
  void trim() {
    auto bytes = [](const Entry& e) {
      double b = 0.0;
      for (const auto& r : e.runs)
        if (r) b += r->bytes();
      return b;
    };
    double total = 0.0;
    for (const auto& e : entries_) total += bytes(e);
    while (!entries_.empty() && total > budget_) {
      total -= bytes(entries_.back());
      entries_.pop_back();
    }
  }

 private:
  struct Entry {
    std::string key;
    std::vector<std::unique_ptr<Run>> runs;
  };
  double budget_;
  std::list<Entry> entries_;
};

/// Trains to `target` in chunks, checking for an interrupt between them (throws Interrupted).
void advance_with_interrupts(MlpTrainer& trainer, long target, long chunk = 256);

}  // namespace rmtsolve::mc
