#!/usr/bin/env bash
# `mpirun -np 2` spreads the grid points (or the seeds of every point) over two ranks on loopback;
# the table must equal the single-process one row for row (metadata aside; theory values to the
# solver tolerance, pooled Monte Carlo moments to rounding).
set -euo pipefail
cli="$1"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
compare() {
  single=0; parallel=0
  "$cli" "$@" > "$scratch/single.csv" 2>/dev/null || single=$?
  mpirun -np 2 --oversubscribe "$cli" "$@" > "$scratch/mpi.csv" 2>/dev/null || parallel=$?
  [ "$single" = "$parallel" ] || { echo "exit codes differ: $single vs $parallel for: $*"; exit 1; }
  grep -v '^#' "$scratch/single.csv" > "$scratch/a"
  grep -v '^#' "$scratch/mpi.csv" > "$scratch/b"
  # Monte Carlo columns must match exactly; theory columns to the solver tolerance, since a rank
  # warm-starts each point from its own previous point rather than from the sweep neighbour.
  if ! /usr/bin/python3 - "$scratch/a" "$scratch/b" <<'PY'
import sys
a, b = (open(f).read().splitlines() for f in sys.argv[1:3])
def same(x, y):
    if x == y:  # also "inf" == "inf", which the difference below would call NaN
        return True
    try:
        u, v = float(x), float(y)
        return abs(u - v) <= 1e-9 * max(1.0, abs(u), abs(v))
    except ValueError:
        return x == y
ok = len(a) == len(b) and all(len(r.split(",")) == len(s.split(",")) and
                              all(same(x, y) for x, y in zip(r.split(","), s.split(","))) for r, s in zip(a, b))
sys.exit(0 if ok else 1)
PY
  then
    echo "MPI table differs from the single-process one for: $*"; diff "$scratch/a" "$scratch/b" | head; exit 1
  fi
  grep -q '^# mpi_ranks: 2' "$scratch/mpi.csv" || { echo "no mpi_ranks in metadata"; exit 1; }
  echo "identical ($(wc -l < "$scratch/a") lines, exit $single): $*"
}
compare simulate rf --alpha 0.5:2:5 --beta 1.5 --d 120 --seeds 3 --threads 1
compare validate srf --alpha 0.5,1,2 --eta 1 --d 150 --seeds 3 --network spiked --threads 1
compare curve deep --widths 2,1 --alpha 0.2:3:7 --lambda 1e-3,1e-1
# Seeds of each point split over the ranks: explicitly, and automatically for a one-point grid
# (odd seed counts, so the ranks hold different numbers of seeds).
compare simulate rf --alpha 0.5,2 --beta 1.5 --d 120 --seeds 5 --threads 1 --distribute seeds
compare validate srf --alpha 1 --eta 1 --d 150 --seeds 3 --network spiked --threads 1
compare simulate rf --alpha 1 --beta 0.7 --lambda 1e-3,1e-1 --d 100 --seeds 3 --threads 1 --distribute seeds
# An infinite value (ntk_deriv at rho = 1) crosses the gather as infinity, not as a missing value.
compare curve kernel --rho 0.5,1
# Non-convergence is not a fault: exit 3 from the job, every row written (checked by compare).
compare curve rf --alpha 0.5,1.5,2.5 --max-iterations 1

# Faults.  An error on either rank must end the whole job promptly with exit 2 and the one-line
# message, instead of one rank waiting for ever in a collective for the other; `timeout` turns a
# hang into a failure (exit 124) instead of a stuck CI job.
fault() {
  local expect_lines="$1" pattern="$2"
  shift 2
  local code=0
  timeout 300 mpirun -np 2 --oversubscribe "$cli" "$@" > "$scratch/fault.out" 2> "$scratch/fault.err" || code=$?
  [ "$code" = 2 ] || { echo "exit $code (expected 2) for: $*"; cat "$scratch/fault.err"; exit 1; }
  grep -q "^rmtsolve: error: $pattern" "$scratch/fault.err" || { echo "no '$pattern' error for: $*"; cat "$scratch/fault.err"; exit 1; }
  local lines
  lines=$(grep -c '^rmtsolve: ' "$scratch/fault.err" || true)
  if [ "$expect_lines" = 1 ] && [ "$lines" != 1 ]; then
    echo "$lines rmtsolve lines (expected 1) for: $*"; cat "$scratch/fault.err"; exit 1
  fi
  echo "ended with exit 2 ($pattern): $*"
}
# Refused before any work, by every rank alike: only rank 0 speaks.
fault 1 "--alpha" simulate rf --alpha -1,1 --d 30 --seeds 2 --threads 1
fault 1 "--tolerance" curve rf --alpha 0.5,1 --tolerance 1
fault 1 "--output" simulate rf --alpha 0.5,1 --d 30 --seeds 2 --threads 1 --output /nonexistent_rmtsolve_dir/x.csv
# Found only when a rank reaches its point (n = round(1e-9 d) = 0 samples): on rank 1, then rank 0,
# and with the seeds of one point split over both ranks.
fault 1 "--alpha" simulate rf --alpha 1,1e-9 --d 30 --seeds 2 --threads 1
fault 1 "--alpha" simulate rf --alpha 1e-9,1 --d 30 --seeds 2 --threads 1
fault any "--alpha" simulate rf --alpha 1e-9 --d 30 --seeds 3 --threads 1 --distribute seeds
fault 1 "--alpha" validate rf --alpha 0.5,1e-9 --d 30 --seeds 2 --threads 1

# Interrupts.  SIGINT to the ranks (a scheduler's signal, or Ctrl-C reaching the process group):
# every rank stops at its next point, rank 0 writes the finished rows with `# interrupted: yes`, and
# the job exits 130 like a single process.  SIGINT to mpirun itself: Open MPI 4.1's mpirun sends the
# ranks SIGTERM and always exits 1 itself (whatever the ranks return), so there only the table is
# checked.  Each run is interrupted once rank 0's progress log shows finished seeds (an event, not
# a time).
export RMTSOLVE_PROGRESS=lines
interrupt() {
  local target="$1" expect="$2" tag="$3"
  : > "$scratch/$tag.err"  # exists before tail opens it: the job may not have started yet
  mpirun -np 2 --oversubscribe "$cli" simulate rf --alpha 0.5:3:200 --d 300 --seeds 4 --threads 1 \
    --output "$scratch/$tag.csv" 2>> "$scratch/$tag.err" &
  local job=$!
  timeout 300 tail -n +1 -f --pid=$job "$scratch/$tag.err" | grep -q -m1 'seeds' || true
  if [ "$target" = ranks ]; then kill -INT $(pgrep -P $job -f "$cli"); else kill -INT $job; fi
  local code=0
  wait $job || code=$?
  if [ "$expect" = 130 ] && [ "$code" != 130 ]; then
    echo "interrupted ranks: mpirun exited $code (expected 130)"; cat "$scratch/$tag.err"; exit 1
  fi
  [ "$code" != 0 ] || { echo "interrupted $target: mpirun exited 0"; exit 1; }
  grep -q '^# interrupted: yes' "$scratch/$tag.csv" || { echo "interrupted $target: no table"; cat "$scratch/$tag.err"; exit 1; }
  grep -q '^rmtsolve: interrupted; ' "$scratch/$tag.err" || { echo "interrupted $target: no message"; exit 1; }
  echo "interrupted $target: exit $code, $(grep -vc '^#' "$scratch/$tag.csv") lines written"
}
interrupt ranks 130 interrupt_ranks
interrupt mpirun any interrupt_mpirun
unset RMTSOLVE_PROGRESS
