#!/usr/bin/env python3
"""Writes Omega.npy, Phi.npy and Psi.npy for the README's `curve gcm --omega/--phi/--psi` example.

The Gaussian covariate model of erf random features, exactly: inputs x ~ N(0, I_d), features
v = erf(F x / sqrt(d)) with F a fixed p x d Gaussian matrix, teacher u = x (so Psi = I_d).  For erf
the covariances have closed forms (Williams 1997):
    Omega_ij = E[v_i v_j] = (2/pi) arcsin(2 a_ij / sqrt((1 + 2 a_ii)(1 + 2 a_jj))),  a = F F^T / d,
    Phi_ki   = E[u_k v_i] = (2/sqrt(pi)) F_ik / sqrt(d) / sqrt(1 + 2 a_ii).
Usage: python3 examples/gcm_covariances.py [--d 100] [--p 200] [--seed 1] [--out DIR]
"""
import argparse
import os

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=100, help="input dimension (teacher size k = d)")
    ap.add_argument("--p", type=int, default=200, help="number of random features")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=".", help="directory to write the three files into")
    a = ap.parse_args()
    if a.d < 1 or a.p < 1:
        ap.error("--d and --p must be positive")
    F = np.random.default_rng(a.seed).standard_normal((a.p, a.d))
    A = F @ F.T / a.d
    s = np.sqrt(1.0 + 2.0 * np.diag(A))
    omega = (2.0 / np.pi) * np.arcsin(np.clip(2.0 * A / np.outer(s, s), -1.0, 1.0))
    phi = (2.0 / np.sqrt(np.pi)) * (F / np.sqrt(a.d) / s[:, None]).T   # k x p
    psi = np.eye(a.d)
    os.makedirs(a.out, exist_ok=True)
    for name, m in (("Omega", omega), ("Phi", phi), ("Psi", psi)):
        np.save(os.path.join(a.out, name + ".npy"), m)
    print(f"wrote Omega.npy ({a.p}x{a.p}), Phi.npy ({a.d}x{a.p}), Psi.npy ({a.d}x{a.d}) to {a.out}")


if __name__ == "__main__":
    main()
