#include "rmtsolve/core/interrupt.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace rmtsolve {
namespace {

std::atomic<bool> flag{false};

// The second signal finds the flag already set: the first is still being honoured (a BLAS call
// under way, the table being written), and the user wants out now.  _exit is async-signal-safe.
extern "C" void on_signal(int) {
  if (flag.exchange(true)) ::_exit(130);
}

}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupted() { return flag.load(); }
void request_interrupt() { flag.store(true); }
void clear_interrupt() { flag.store(false); }

}  // namespace rmtsolve
