#!/usr/bin/env python3
"""Baseline for the deep drawn-weights path: the ridge learning curve of the deep random features
paper's public notebook (Schröder, Cui, Dmitriev, Loureiro 2023, arXiv:2302.00401; repository
HugoCui/dRF, `Ridge.ipynb` at commit 818f9a3614c5f19f05b55012815eee6260465f75), re-written here
in our own words with numpy only.

Setting of the notebook: x ~ N(0, I_d), two tanh layers of width k1 = k2 = 4d with i.i.d.
N(0, 1/fan_in) weights, a sign random-features teacher of width kt = 2d with one drawn θ,
λ = 1e-3 (GCM convention: features v/√p, loss ½Σ(y − ŷ)² + λ/2 ‖w‖², the same λ as rmtsolve's
convention A), and 20 values of n/d in linspace(0.1, 8, 20).

Algorithm, step by step as in the notebook:
 1. κ1, κ* of each layer and of the teacher at the population variances (1-D Gaussian integrals;
    the notebook uses scipy quad, here Gauss-Hermite with 200 nodes, exact to rounding for these);
 2. dense Ω = κ1₂²κ1₁² W2 W1 diag(Σ) W1ᵀ W2ᵀ + κ1₂²κ*₁² W2 W2ᵀ + κ*₂² I,
    Φ = κ1₁κ1₂κ1_t W2 W1 diag(Σ) Wtᵀ,  Ψ = κ1_t² Wt diag(Σ) Wtᵀ + κ*_t² I, with the products in
    the notebook's order (a dense diag(Σ), left to right);
 3. the GCM ridge state evolution of Loureiro et al. 2021 for each n (the notebook calls the
    GCMProject package, which is not public): one eigen-decomposition of Ω (numpy eigh), then
    per n the damped fixed point (damping 0.5, tolerance 1e-9, at most 10000 steps, no warm start)
        V̂ = n/(1+V),  q̂ = n(σ_y² + q − 2m)/(1+V)²,  S_j = λ + V̂ ω̃_j,
        V = Σ ω̃/S,  m = V̂ Σ ψ̃²/S,  q = Σ ω̃(V̂²ψ̃² + q̂ ω̃)/S²,   E_test = σ_y² + q − 2m,
    with ω̃_j = ω_j/p, ψ̃_j² = (u_jᵀ Φ θ)²/(kt p), σ_y² = θᵀΨθ/kt.

Prints the wall time of steps 2-3 (the notebook's cost; interpreter start-up and the κ integrals
excluded) in seconds on the first line; with --curve, then one line "n/d test_error" per point.
"""
import argparse
import time

import numpy as np


def gaussian_coefficients(f, r, nodes=200):
    z, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / np.sqrt(2.0 * np.pi)
    x = np.sqrt(r) * z
    k1 = np.sum(w * x * f(x)) / r
    second = np.sum(w * f(x) ** 2)
    return k1, np.sqrt(max(second - r * k1 * k1, 0.0)), second


def state_evolution(omega, psi2, sigma_y2, n, lam, tol=1e-9, damping=0.5, max_steps=10000):
    V, q, m = 1.0, 1.0, 0.0
    for _ in range(max_steps):
        Vh = n / (1.0 + V)
        qh = n * (sigma_y2 + q - 2.0 * m) / (1.0 + V) ** 2
        S = lam + Vh * omega
        V_new = np.sum(omega / S)
        m_new = Vh * np.sum(psi2 / S)
        q_new = np.sum(omega * (Vh * Vh * psi2 + qh * omega) / S ** 2)
        V_next = damping * V_new + (1 - damping) * V
        q_next = damping * q_new + (1 - damping) * q
        m_next = damping * m_new + (1 - damping) * m
        change = abs(V_next - V) + abs(q_next - q) + abs(m_next - m)
        V, q, m = V_next, q_next, m_next
        if change < tol:
            break
    return sigma_y2 + q - 2.0 * m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=300)
    ap.add_argument("--lam", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--curve", action="store_true", help="also print n/d and the test error per point")
    ap.add_argument("--average-teacher", action="store_true",
                    help="average over θ ~ N(0, I) instead of the notebook's one θ (as rmtsolve does): "
                         "ψ̃_j² = ‖Φᵀu_j‖²/(kt p), σ_y² = tr Ψ/kt; for checking the numbers, not timed differently")
    args = ap.parse_args()
    d = args.d
    k1 = k2 = 4 * d
    kt = 2 * d
    Sigma = np.ones(d)
    k1_1, ks_1, var_1 = gaussian_coefficients(np.tanh, 1.0)
    k1_2, ks_2, _ = gaussian_coefficients(np.tanh, var_1)
    k1_t, ks_t, _ = gaussian_coefficients(np.sign, 1.0)
    rng = np.random.default_rng(args.seed)
    theta = rng.standard_normal(kt)
    Wt = rng.standard_normal((kt, d)) / np.sqrt(d)
    W1 = rng.standard_normal((k1, d)) / np.sqrt(d)
    W2 = rng.standard_normal((k2, k1)) / np.sqrt(k1)

    start = time.perf_counter()
    Omega = (k1_2 ** 2 * k1_1 ** 2 * (W2 @ W1 @ np.diag(Sigma) @ W1.T @ W2.T)
             + k1_2 ** 2 * ks_1 ** 2 * W2 @ W2.T + ks_2 ** 2 * np.eye(k2))
    Phi = k1_1 * k1_2 * k1_t * W2 @ W1 @ np.diag(Sigma) @ Wt.T
    Psi = k1_t ** 2 * Wt @ np.diag(Sigma) @ Wt.T + ks_t ** 2 * np.eye(kt)
    omega, U = np.linalg.eigh(Omega)
    p = k2
    omega_t = np.maximum(omega, 0.0) / p
    if args.average_teacher:
        psi2 = np.sum((U.T @ Phi) ** 2, axis=1) / (kt * p)
        sigma_y2 = np.trace(Psi) / kt
    else:
        psi2 = (U.T @ (Phi @ theta)) ** 2 / (kt * p)
        sigma_y2 = theta @ Psi @ theta / kt
    curve = []
    for a in np.linspace(0.1, 8, 20):
        curve.append((a, state_evolution(omega_t, psi2, sigma_y2, a * d, args.lam)))
    seconds = time.perf_counter() - start
    print(f"{seconds:.6f}")
    if args.curve:
        for a, e in curve:
            print(f"{a:.6g} {e:.10g}")


if __name__ == "__main__":
    main()
