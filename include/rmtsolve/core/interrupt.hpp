#pragma once
#include <stdexcept>

namespace rmtsolve {

/// Ctrl-C / SIGTERM during a sweep: the point under way is abandoned, the finished rows are kept
/// and written (atomically), and the command exits 130.
void install_interrupt_handler();
bool interrupted();
void request_interrupt();  // what the signal handler does; also for tests
void clear_interrupt();    // a library caller (Python) that handled one interrupt and goes on

/// Thrown from inside a point (e.g. between Monte Carlo seeds) once an interrupt was requested.
struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

}  // namespace rmtsolve
