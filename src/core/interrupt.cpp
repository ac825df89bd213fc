#include "rmtsolve/core/interrupt.hpp"

#include <atomic>
#include <csignal>

namespace rmtsolve {
namespace {

std::atomic<bool> flag{false};

extern "C" void on_signal(int) { flag.store(true); }

}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupted() { return flag.load(); }
void request_interrupt() { flag.store(true); }
void clear_interrupt() { flag.store(false); }

}  // namespace rmtsolve
