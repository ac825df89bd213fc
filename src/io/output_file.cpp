#include "rmtsolve/io/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {
namespace {

namespace fs = std::filesystem;

// Paths quoted in messages are cut so that a hostile 100 KB argument stays a one-line message.
std::string shown(const std::string& path) {
  std::string s;
  for (char c : path.substr(0, 60)) s += (c == '\n' || c == '\r') ? '?' : c;
  return "'" + s + (path.size() > 60 ? "...'" : "'");
}

std::string reason(int error) { return std::strerror(error); }

bool is_stdout(const std::string& path) {
  return path.empty() || path == "-" || path == "/dev/stdout" || path == "/dev/fd/1" || path == "/proc/self/fd/1";
}

// Another name for an open descriptor of this process (e.g. /dev/stderr redirected by the shell to a
// file): renaming over what it resolves to would detach the file from the descriptor.
bool is_descriptor_alias(const std::string& path) {
  return path == "/dev/stderr" || path == "/dev/stdin" || path.rfind("/dev/fd/", 0) == 0 ||
         path.rfind("/proc/self/fd/", 0) == 0;
}

// The file a write through `path` ends up replacing: symlinks followed one hop at a time (also when
// the final target does not exist yet), so that the rename replaces the target, never the link.
fs::path final_target(const std::string& path, const std::string& parameter) {
  fs::path p = path;
  for (int hops = 0;; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
    if (hops == 40) throw InvalidInput(parameter, "too many levels of symbolic links in " + shown(path));
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) throw InvalidInput(parameter, "cannot read the link " + shown(p.string()) + ": " + ec.message());
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
}

fs::path directory_of(const fs::path& p) { return p.parent_path().empty() ? fs::path(".") : p.parent_path(); }

void write_all(int fd, const std::string& text, const std::string& path, const std::string& parameter) {
  const char* data = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InvalidInput(parameter, "writing " + shown(path) + " failed: " + reason(errno));
    data += n;
    left -= static_cast<size_t>(n);
  }
}

// Owns a temporary file until it is renamed into place; removes it on any other way out.
struct Temporary {
  std::string name;
  int fd = -1;
  bool committed = false;
  ~Temporary() {
    if (fd >= 0) ::close(fd);
    if (!committed && !name.empty()) ::unlink(name.c_str());
  }
};

mode_t default_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

}  // namespace

void check_output_path(const std::string& path, const std::string& parameter) {
  if (is_stdout(path)) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw InvalidInput(parameter, shown(path) + " is a directory");
    if (!S_ISREG(st.st_mode) || is_descriptor_alias(path)) {
      if (::access(path.c_str(), W_OK) != 0) throw InvalidInput(parameter, "cannot write " + shown(path) + ": " + reason(errno));
      return;
    }
  }
  const fs::path target = final_target(path, parameter);
  if (target.filename().empty() || target.filename() == "." || target.filename() == "..")
    throw InvalidInput(parameter, shown(path) + " names a directory, not a file");
  const fs::path dir = directory_of(target);
  struct stat dst {};
  if (::stat(dir.c_str(), &dst) != 0)
    throw InvalidInput(parameter, "directory " + shown(dir.string()) + " of " + shown(path) + ": " + reason(errno));
  if (!S_ISDIR(dst.st_mode)) throw InvalidInput(parameter, shown(dir.string()) + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw InvalidInput(parameter, "cannot create files in " + shown(dir.string()) + ": " + reason(errno));
  if (::stat(target.c_str(), &st) == 0 && ::access(target.c_str(), W_OK) != 0)
    throw InvalidInput(parameter, "cannot write " + shown(path) + ": " + reason(errno));
}

void write_output_file(const std::string& path, const std::string& text, const std::string& parameter) {
  if (is_stdout(path)) {
    std::cout << text << std::flush;
    if (!std::cout) throw InvalidInput(parameter, "writing to standard output failed");
    return;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (!S_ISREG(st.st_mode) || is_descriptor_alias(path))) {
    if (S_ISDIR(st.st_mode)) throw InvalidInput(parameter, shown(path) + " is a directory");
    // A device, FIFO or terminal is the destination itself: write into it, never replace it.
    const int fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC | (S_ISREG(st.st_mode) ? O_APPEND : 0));
    if (fd < 0) throw InvalidInput(parameter, "cannot open " + shown(path) + ": " + reason(errno));
    try {
      write_all(fd, text, path, parameter);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0 && errno != EINTR) throw InvalidInput(parameter, "writing " + shown(path) + " failed: " + reason(errno));
    return;
  }
  check_output_path(path, parameter);
  const fs::path target = final_target(path, parameter);
  const fs::path dir = directory_of(target);
  Temporary tmp;
  // Unique per writer, so that two processes writing the same path never share a temporary; hidden,
  // so that a crash in between leaves no file that looks like a result.
  std::string pattern = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  tmp.fd = ::mkstemp(pattern.data());
  if (tmp.fd < 0) throw InvalidInput(parameter, "cannot create a temporary file in " + shown(dir.string()) + ": " + reason(errno));
  tmp.name = pattern;
  struct stat old {};
  const bool replacing = ::stat(target.c_str(), &old) == 0;
  // mkstemp creates 0600; the result gets the permissions the user would get from a plain write.
  if (::fchmod(tmp.fd, replacing ? (old.st_mode & 07777) : default_mode()) != 0)
    throw InvalidInput(parameter, "cannot set the permissions of " + shown(path) + ": " + reason(errno));
  if (replacing && ::geteuid() == 0) (void)::fchown(tmp.fd, old.st_uid, old.st_gid);
  write_all(tmp.fd, text, path, parameter);
  if (::fsync(tmp.fd) != 0) throw InvalidInput(parameter, "writing " + shown(path) + " failed: " + reason(errno));
  const int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) throw InvalidInput(parameter, "writing " + shown(path) + " failed: " + reason(errno));
  if (::rename(tmp.name.c_str(), target.c_str()) != 0)
    throw InvalidInput(parameter, "cannot replace " + shown(target.string()) + ": " + reason(errno));
  tmp.committed = true;
  // The rename is durable only once the directory entry is on disk.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace rmtsolve
