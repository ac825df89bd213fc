#!/usr/bin/env python3
"""Baseline for `rmtsolve curve gcm --omega --phi --psi` (ridge, linear teacher): the algorithm of
the authors' public code, GCMProject (github.com/IdePHICS/GCMProject, commit dea00b06e9cb, data
model `Custom`, task `ridge_regression`, iterator `StateEvolution` with its default settings),
rewritten here in a few lines of numpy.  No code is taken from it; the steps are the same:

  set-up   load the three matrices; symmetry check; the p x p matrix Phi^T theta theta^T Phi (here
           averaged over the teacher theta ~ N(0, I_k), i.e. Phi^T Phi, as rmtsolve does);
           eigh(Omega); eigvalsh of that matrix; the commutation test ||Omega M - M Omega||; and,
           as the matrices do not commute, diag(U^T M U) in the eigenbasis U of Omega.
  a point  the damped (V, q, m) iteration from the uninformed start (V, q, m) = (1000, 1e-3, 1e-3)
           until |dV| + |dq| + |dm| < tolerance, at most max_steps steps.

Prints the wall time of the whole curve (file reading included, interpreter start-up excluded) in
seconds, or with --print the curve as "alpha test_error V q m" lines (to compare with rmtsolve)."""
import argparse
import os
import time

import numpy as np


def prepare(directory):
    psi = np.load(os.path.join(directory, "psi.npy"))
    phi = np.load(os.path.join(directory, "phi.npy"))  # k x p, E[u v^T]
    omega = np.load(os.path.join(directory, "omega.npy"))
    for m in (omega, psi):
        if np.linalg.norm(m - m.T) > 1e-5:
            raise SystemExit("covariance is not symmetric")
    k, p = phi.shape
    rho = np.trace(psi) / k
    M = phi.T @ phi  # teacher-averaged Phi^T theta theta^T Phi
    spec, U = np.linalg.eigh(omega)
    np.linalg.eigvalsh(M)  # GCMProject computes it for the commuting case before testing commutation
    commute = np.linalg.norm(omega @ M - M @ omega) < 1e-10
    diag = np.linalg.eigvalsh(M) if commute else np.diagonal(U.T @ M @ U)
    return spec, diag, rho, k / p


def point(spec, diag, rho, gamma, alpha, lam, tolerance, damping, max_steps):
    V, q, m = 1000.0, 1e-3, 1e-3
    for _ in range(max_steps):
        Vhat = alpha / (1 + V)
        qhat = alpha * (rho + q - 2 * m) / (1 + V) ** 2
        mhat = alpha / np.sqrt(gamma) / (1 + V)
        den = lam + Vhat * spec
        Vn = np.mean(spec / den)
        qn = qhat * np.mean(spec ** 2 / den ** 2) + mhat ** 2 * np.mean(diag * spec / den ** 2)
        mn = mhat / np.sqrt(gamma) * np.mean(diag / den)
        Vn, qn, mn = [(1 - damping) * a + damping * b for a, b in ((Vn, V), (qn, q), (mn, m))]
        diff = abs(Vn - V) + abs(qn - q) + abs(mn - m)
        V, q, m = Vn, qn, mn
        if diff < tolerance:
            break
    return rho + q - 2 * m, V, q, m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="folder with omega.npy, phi.npy, psi.npy")
    ap.add_argument("--lam", type=float, default=1e-2)
    ap.add_argument("--points", type=int, default=100, help="alpha = 0.05, 0.10, ...")
    ap.add_argument("--tolerance", type=float, default=1e-10)
    ap.add_argument("--damping", type=float, default=0.0)
    ap.add_argument("--max-steps", type=int, default=1000)
    ap.add_argument("--print", action="store_true")
    args = ap.parse_args()
    start = time.perf_counter()
    spec, diag, rho, gamma = prepare(args.dir)
    rows = []
    for i in range(args.points):
        alpha = 0.05 * (i + 1)
        rows.append((alpha,) + point(spec, diag, rho, gamma, alpha, args.lam, args.tolerance, args.damping, args.max_steps))
    elapsed = time.perf_counter() - start
    if args.print:
        for r in rows:
            print(" ".join("%.12g" % v for v in r))
    else:
        print(elapsed)


if __name__ == "__main__":
    main()
