#pragma once
#include <chrono>
#include <cstddef>
#include <mutex>

namespace rmtsolve {

/// A progress bar with ETA on stderr, drawn only when stderr is a terminal (quiet in pipes, CI and
/// files).  With RMTSOLVE_PROGRESS=lines in the environment it prints one plain line per finished
/// unit instead, whatever stderr is: for batch-job logs, and for tests that must wait for an event
/// rather than for wall time.  RMTSOLVE_PROGRESS=none silences it.  tick() is thread-safe: Monte
/// Carlo workers report finished seeds.
class ProgressBar {
 public:
  ProgressBar(std::size_t total, const char* unit);
  ~ProgressBar();
  void tick(std::size_t n = 1);

 private:
  void draw();
  std::size_t total_, done_ = 0;
  const char* unit_;
  enum class Mode { kOff, kBar, kLines } mode_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

}  // namespace rmtsolve
