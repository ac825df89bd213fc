#include "provenance.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <memory>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/io/provenance.hpp"

namespace rmtsolve::cli {

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
  for (auto& entry : run_provenance(threads)) t.metadata.push_back(std::move(entry));
  for (const auto& f : input_files) t.metadata.emplace_back("sha256 " + f, sha256_of_file(f, "input"));
}

}  // namespace rmtsolve::cli
