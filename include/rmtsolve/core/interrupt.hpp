#pragma once
#include <stdexcept>

namespace rmtsolve {

/// Ctrl-C / SIGTERM during a sweep: the point under way is abandoned, the finished rows are kept
/// and written (atomically), and the command exits 130.  A second signal while the first one is
/// being honoured ends the process at once (exit 130, nothing more written): the user asked twice.
void install_interrupt_handler();
bool interrupted();
void request_interrupt();  // what the signal handler does; also for tests
void clear_interrupt();    // a library caller (Python) that handled one interrupt and goes on

/// Thrown from inside a point (e.g. between Monte Carlo seeds) once an interrupt was requested.
struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

/// The check long computations make inside one seed (between BLAS-3 stages, every few iterations
/// of a trainer or solver), so that a stop takes effect within about a second even when a single
/// seed runs for minutes.  One relaxed atomic load: cheap enough for every iteration.
inline void throw_if_interrupted() {
  if (interrupted()) throw Interrupted();
}

}  // namespace rmtsolve
