#pragma once
#include <chrono>
#include <cstddef>
#include <mutex>

namespace rmtsolve {

/// A progress bar with ETA on stderr, drawn only when stderr is a terminal (quiet in pipes, CI and
/// files).  tick() is thread-safe: Monte Carlo workers report finished seeds.
class ProgressBar {
 public:
  ProgressBar(std::size_t total, const char* unit);
  ~ProgressBar();
  void tick(std::size_t n = 1);

 private:
  void draw();
  std::size_t total_, done_ = 0;
  const char* unit_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

}  // namespace rmtsolve
