#!/usr/bin/env python3
"""The random-features Monte Carlo of `rmtsolve simulate rf`, written plainly in numpy (the way
users do it in notebooks): the baseline rmtsolve's Monte Carlo is measured against.

Prints the wall time of the simulation itself (interpreter start-up excluded) in seconds."""
import argparse
import time

import numpy as np


def one_seed(rng, d, p, n, n_test, lam):
    W = rng.standard_normal((p, d))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    theta = rng.standard_normal(d)
    theta *= np.sqrt(d) / np.linalg.norm(theta)

    def batch(m):
        X = rng.standard_normal((m, d))
        return np.tanh(X @ W.T) / np.sqrt(p), X @ theta / np.sqrt(d)

    F, y = batch(n)
    if p <= n:
        a = np.linalg.solve(F.T @ F + lam * np.eye(p), F.T @ y)
    else:
        a = F.T @ np.linalg.solve(F @ F.T + lam * np.eye(n), y)
    train = np.mean((y - F @ a) ** 2)
    Ft, yt = batch(n_test)
    return np.mean((yt - Ft @ a) ** 2), train


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=400)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--lam", type=float, default=1e-2)
    args = ap.parse_args()
    d = args.d
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for _ in range(args.seeds):
        one_seed(rng, d, 2 * d, 2 * d, 4 * d, args.lam)
    print(time.perf_counter() - start)


if __name__ == "__main__":
    main()
