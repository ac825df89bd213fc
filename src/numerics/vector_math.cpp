#include "rmtsolve/numerics/vector_math.hpp"

#include <dlfcn.h>
#include <immintrin.h>

#include <Eigen/Dense>

namespace rmtsolve {
namespace {

void eigen_tanh(double* v, long n) {
  Eigen::Map<Eigen::ArrayXd> a(v, n);
  a = 1.0 - 2.0 / ((2.0 * a).exp() + 1.0);
}

// libmvec's vector tanh (glibc ≥ 2.35), looked up at run time so that the library neither needs
// libmvec to link nor an instruction set the portable build does not assume: a C library without
// it, or a CPU without AVX2, keeps Eigen's routine.  The symbols are glibc's x86-64 vector ABI
// names ('e': AVX-512, 8 doubles; 'd': AVX2, 4 doubles).
// No templates in the target-specific functions: an instantiation compiled for AVX-512 could be the
// copy the linker keeps for everyone.  Function attributes rather than `#pragma GCC target`, which
// clang (the fuzzing build) ignores.
using Tanh8 = __m512d (*)(__m512d);
Tanh8 g_tanh8 = nullptr;
__attribute__((target("avx512f"))) void avx512_tanh(double* v, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_pd(v + i, g_tanh8(_mm512_loadu_pd(v + i)));
  if (i < n) {
    alignas(64) double tail[8] = {};
    for (long j = i; j < n; ++j) tail[j - i] = v[j];
    _mm512_store_pd(tail, g_tanh8(_mm512_load_pd(tail)));
    for (long j = i; j < n; ++j) v[j] = tail[j - i];
  }
}

using Tanh4 = __m256d (*)(__m256d);
Tanh4 g_tanh4 = nullptr;
__attribute__((target("avx2,fma"))) void avx2_tanh(double* v, long n) {
  long i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(v + i, g_tanh4(_mm256_loadu_pd(v + i)));
  if (i < n) {
    alignas(32) double tail[4] = {};
    for (long j = i; j < n; ++j) tail[j - i] = v[j];
    _mm256_store_pd(tail, g_tanh4(_mm256_load_pd(tail)));
    for (long j = i; j < n; ++j) v[j] = tail[j - i];
  }
}

struct Choice {
  void (*run)(double*, long) = eigen_tanh;
  const char* kind = "eigen";
};

Choice choose() {
  Choice c;
  void* lib = dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return c;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    if (void* f = dlsym(lib, "_ZGVeN8v_tanh")) {
      g_tanh8 = reinterpret_cast<Tanh8>(f);
      return {avx512_tanh, "libmvec-avx512"};
    }
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    if (void* f = dlsym(lib, "_ZGVdN4v_tanh")) {
      g_tanh4 = reinterpret_cast<Tanh4>(f);
      return {avx2_tanh, "libmvec-avx2"};
    }
  }
  return c;
}

const Choice& choice() {
  static const Choice c = choose();
  return c;
}

}  // namespace

void tanh_inplace(double* data, long size) { choice().run(data, size); }

const char* tanh_inplace_kind() { return choice().kind; }

}  // namespace rmtsolve
