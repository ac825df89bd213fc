#include "rmtsolve/io/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rmtsolve {

namespace {

bool env_is(const char* value) {
  const char* v = std::getenv("RMTSOLVE_PROGRESS");
  return v && std::strcmp(v, value) == 0;
}

}  // namespace

ProgressBar::ProgressBar(std::size_t total, const char* unit)
    : total_(total), unit_(unit), start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  if (env_is("lines"))
    mode_ = Mode::kLines;
  else if (env_is("none"))
    mode_ = Mode::kOff;
  else
    mode_ = total > 1 && ::isatty(STDERR_FILENO) ? Mode::kBar : Mode::kOff;
}

ProgressBar::~ProgressBar() {
  if (mode_ == Mode::kBar) std::fprintf(stderr, "\r\033[K");
}

void ProgressBar::tick(std::size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += n;
  const auto now = std::chrono::steady_clock::now();
  if (mode_ == Mode::kLines) {
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "rmtsolve: %zu/%zu %s, elapsed %.1fs\n", done_, total_, unit_, elapsed);
    std::fflush(stderr);
  } else if (mode_ == Mode::kBar && (done_ == total_ || now - last_draw_ > std::chrono::milliseconds(200))) {
    last_draw_ = now;
    draw();
  }
}

void ProgressBar::draw() {
  constexpr int kWidth = 30;
  const double fraction = total_ ? static_cast<double>(done_) / total_ : 1.0;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < static_cast<int>(fraction * kWidth) ? '#' : '.';
  bar[kWidth] = 0;
  std::fprintf(stderr, "\r[%s] %zu/%zu %s, elapsed %.0fs, ETA %.0fs\033[K", bar, done_, total_, unit_, elapsed, eta);
  std::fflush(stderr);
}

}  // namespace rmtsolve
