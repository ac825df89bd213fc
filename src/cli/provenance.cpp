#include "provenance.hpp"

#include <openssl/evp.h>

#include <ctime>
#include <fstream>
#include <memory>
#include <thread>

#include "rmtsolve/error.hpp"
#include "rmtsolve_git.hpp"

// OpenBLAS's own report of its build and of the kernel it selected for this CPU at run time
// (declared in its cblas.h, which would clash with Eigen's BLAS declarations).
extern "C" {
char* openblas_get_config(void);
char* openblas_get_corename(void);
int openblas_get_num_threads(void);
}

namespace rmtsolve::cli {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

}  // namespace

std::string sha256_of_file(const std::string& path, const std::string& parameter) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidInput(parameter, "cannot read '" + path + "'");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

void add_provenance(Table& t, int threads, const std::vector<std::string>& input_files) {
  t.metadata.emplace_back("git_revision", RMTSOLVE_GIT_REVISION);
  t.metadata.emplace_back("time_utc", utc_now());
  t.metadata.emplace_back("cpu", cpu_model() + " (" + std::to_string(std::thread::hardware_concurrency()) + " logical cores)");
  t.metadata.emplace_back("blas", std::string(openblas_get_config()) + "; kernel " + openblas_get_corename() + "; " +
                                      std::to_string(openblas_get_num_threads()) + " BLAS threads");
  if (threads >= 0)
    t.metadata.emplace_back("threads", threads > 0 ? std::to_string(threads)
                                                   : std::to_string(std::thread::hardware_concurrency()) + " (one per core)");
  for (const auto& f : input_files) t.metadata.emplace_back("sha256 " + f, sha256_of_file(f, "input"));
}

}  // namespace rmtsolve::cli
