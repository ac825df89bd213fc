#pragma once
#include <string>

/// Which OpenBLAS kernel runs, and choosing a better one when OpenBLAS has fallen back.
///
/// Debian's OpenBLAS is built for every x86-64 CPU and picks its kernel when it is loaded, from the
/// CPU model.  A CPU model it does not know (cloud VMs often mask it, e.g. "Intel Xeon Processor")
/// gets the generic Prescott (SSE3) kernel even when the CPU has AVX2 or AVX-512: every BLAS and
/// LAPACK call is then 4-5x slower.  The kernel cannot be changed once the library is loaded; it
/// is chosen by the environment variable OPENBLAS_CORETYPE read at load time.  So the CLI and the
/// benchmark binary re-execute themselves once with OPENBLAS_CORETYPE set
/// (`select_kernel_or_reexec`), check the new kernel numerically against a product that does not
/// go through BLAS, and go back to OpenBLAS's own choice, with a warning, if it disagrees.  A
/// library user or Python cannot be re-executed: they get `advice()` to print (Python warns at
/// import).
///
/// Never overridden: a kernel set explicitly (OPENBLAS_CORETYPE in the environment) and any
/// choice when RMTSOLVE_BLAS_KERNEL=keep.  Only pre-AVX2 kernels on an AVX2 (or AVX-512) CPU count
/// as a fallback; between the AVX2 and AVX-512 families OpenBLAS's own per-vendor choice is kept.
namespace rmtsolve::blas {

/// The instruction-set extensions OpenBLAS's kernels are built for (from cpuid).
struct CpuFeatures {
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool avx512 = false;  ///< F, CD, BW, DQ and VL: what OpenBLAS's SkylakeX kernel needs
  static CpuFeatures detect();
};

/// What to do about the kernel OpenBLAS picked.
struct Advice {
  std::string current;      ///< the kernel OpenBLAS runs (openblas_get_corename)
  std::string recommended;  ///< the kernel to select; empty: keep the current one
  std::string reason;       ///< one line: why it is kept or why another is recommended
};

/// Pure decision, so that every case is testable on any machine.  `explicit_coretype`: the
/// environment already sets OPENBLAS_CORETYPE; `keep`: RMTSOLVE_BLAS_KERNEL=keep.
Advice advise(const std::string& current, const CpuFeatures& cpu, bool explicit_coretype, bool keep);

/// The decision for this process (reads the library, cpuid and the environment).
Advice advice();

/// Compares a BLAS dgemm and dgemv against Eigen's own (non-BLAS) evaluation of the same products
/// on fixed data; true when they agree to 1e-12 relative.  Takes well under a millisecond.
bool self_check();

/// For executables only, first thing in main (before MPI_Init or any thread): when `advice()`
/// recommends a kernel, re-executes /proc/self/exe with the same arguments and OPENBLAS_CORETYPE
/// set, and does not return.  In the re-executed process it runs `self_check()` and, if that
/// fails, re-executes once more with OpenBLAS's own kernel and prints a one-line warning.  Returns
/// when nothing has to change (or re-execution is impossible, with a warning).
/// Then calls limit_idle_spin().
void select_kernel_or_reexec(char** argv);

/// log2 of the TSC cycles an idle OpenBLAS worker spins (sched_yield) before it sleeps, set by
/// limit_idle_spin: 2^20 ≈ 0.4 ms, long enough to bridge the gaps between the calls of one LAPACK
/// routine, short enough that the worker sleeps through the Monte Carlo's sampling and activation
/// passes.  OpenBLAS's default, 2^28 ≈ 0.1 s, kept a worker spinning through those passes, where it
/// took a third of the two cores from the threads that sample (20 % of a d = 1000 seed's cycles,
/// bench/notes/montecarlo_seed_speed.md).
constexpr int kIdleSpinLog2 = 20;

/// For executables, before any thread of their own: OPENBLAS_THREAD_TIMEOUT = kIdleSpinLog2 for
/// this process unless the environment sets it (then nothing changes), by re-reading OpenBLAS's
/// settings and restarting its workers.  The variable itself is not left in the environment.
void limit_idle_spin();

/// One line for provenance: "OpenBLAS <config>; kernel K[ (selected by rmtsolve; OpenBLAS chose
/// F for this CPU)]; N BLAS threads".
std::string describe();

}  // namespace rmtsolve::blas
