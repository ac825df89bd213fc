#pragma once
#include <string>

namespace rmtsolve {

/// Checks, before any computing starts, that `path` can receive what write_output_file would write
/// there: an existing directory, a missing or unwritable parent directory, a non-regular target that
/// cannot be opened for writing, or a symlink loop throw InvalidInput(parameter, reason).  An empty
/// path or "-" means stdout and always passes.  Any writer of a user-named file (table, plot) calls
/// this first, so that a bad path never throws a finished computation away.
void check_output_path(const std::string& path, const std::string& parameter);

/// Writes `text` to `path` so that a reader never sees a partial file and nothing else is harmed:
///  - empty, "-", /dev/stdout (and /dev/fd/1, /proc/self/fd/1): standard output;
///  - a non-regular target (character device, FIFO, socket, /dev/stderr): opened and written
///    directly — never replaced by a regular file;
///  - otherwise symlinks are followed to their final target, and that target (not the link) is
///    replaced atomically: a uniquely named temporary in the same directory (mkstemp), written,
///    fsync'ed, given the old file's permissions (or 0666 & ~umask), renamed over the target, and the
///    directory fsync'ed.  The temporary is removed on every failure path.
/// Throws InvalidInput(parameter, reason) when the file cannot be written.
void write_output_file(const std::string& path, const std::string& text, const std::string& parameter);

}  // namespace rmtsolve
