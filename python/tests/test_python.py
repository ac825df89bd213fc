import math
import os

import numpy as np
import pytest

import rmtsolve

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_mei_montanari_value_and_arrays():
    # srf.md §4: tanh student, linear target, tau^2 = 0.25, psi1 = 2, psi2 = 1, lambda_MM = 1e-2.
    c = rmtsolve.curve("rf", activation="tanh", alpha=1.0, beta=2.0, lambda_=1e-2, noise=0.25)
    assert c["test_error"].shape == (1,)
    assert abs(c["test_error"][0] - 0.967402164798) < 1e-9
    assert c["activation"] == ["tanh"]
    assert c.metadata["model"] == "rf"


def test_grids_from_strings_sequences_and_arrays():
    a = rmtsolve.curve("rf", alpha="0.5:2:4")
    b = rmtsolve.curve("rf", alpha=[0.5, 1.0, 1.5, 2.0])
    c = rmtsolve.curve("rf", alpha=np.linspace(0.5, 2.0, 4))
    np.testing.assert_allclose(a["test_error"], b["test_error"], rtol=1e-13)
    np.testing.assert_allclose(a["test_error"], c["test_error"], rtol=1e-13)
    assert np.all(np.diff(a["test_error"]) < 0)  # more data helps at this ridge


def test_every_model_solves():
    for m in rmtsolve.models():
        if m["name"] == "gcm":
            continue  # needs covariance files; see test_gcm_ridge_from_numpy
        if m["name"] == "nfa":  # Monte Carlo only: no theory curve, and it says so
            with pytest.raises(ValueError, match="simulate"):
                rmtsolve.curve("nfa")
            continue
        # Sweep the model's first numeric parameter over two admissible values near its default.
        name, (default, _) = next(iter(m["numbers"].items()))
        grid = [default, default * 0.5] if default != 0 else [0.0, 0.5]
        t = rmtsolve.curve(m["name"], **{name: grid})
        first = m["outputs"][0]
        assert np.all(np.isfinite(t[first])), m["name"]
        assert np.all(t["converged"] == 1), m["name"]


def test_bad_input_raises_value_error_naming_the_parameter():
    with pytest.raises(ValueError, match="alpha"):
        rmtsolve.curve("rf", alpha=-1)
    with pytest.raises(ValueError, match="activation"):
        rmtsolve.curve("rf", activation="swish")
    with pytest.raises(ValueError, match="gamma"):
        rmtsolve.curve("rf", gamma=1)
    with pytest.raises(ValueError, match="model"):
        rmtsolve.curve("nope")


def test_non_converged_point_is_nan_and_reported():
    t = rmtsolve.curve("rf", alpha=[1.0, 2.0, 3.0], beta=2, lambda_=0)
    assert t.failed_points == 1
    assert math.isnan(t["test_error"][1]) and np.isfinite(t["test_error"][0])
    assert t["reason"][1] == "divergent"


def test_simulate_and_validate():
    s = rmtsolve.simulate("rf", alpha=[0.5, 2.0], d=150, seeds=4)
    assert s["test_error_mean"].shape == (2,) and np.all(s["test_error_se"] > 0)
    v = rmtsolve.validate("srf", alpha=[1.0], eta=2.0, network="spiked", d=300, seeds=6)
    assert v["verdict"] == ["PASS"]
    f = rmtsolve.simulate("rf", alpha=[0.5, 2.0], d=150, seeds=4, precision="float32")
    np.testing.assert_allclose(f["test_error_mean"], s["test_error_mean"], rtol=1e-5)
    with pytest.raises(ValueError, match="precision"):
        rmtsolve.simulate("srf", alpha=[1.0], d=100, seeds=2, precision="float32")


def test_gcm_ridge_from_numpy_matches_isotropic_closed_form():
    p = 80
    eye = np.eye(p)
    r = rmtsolve.gcm_ridge(eye, eye, eye, alpha=[0.5, 1.5], lambda_=0.0, noise=0.25)
    # F^2 (1 - a) + tau^2 / (1 - a) at a = 0.5;  tau^2 a / (a - 1) at 1.5.
    np.testing.assert_allclose(r["test_error"], [1.0, 0.75], rtol=1e-9)


def test_validation_suite():
    t = rmtsolve.validate_suite(os.path.join(ROOT, "validation", "rf_double_descent.json"), reduced=True)
    assert t.failed_points == 0 and len(t["verdict"]) == 8


def test_kernels_on_numpy_inputs():
    rng = np.random.default_rng(0)
    d = 50
    X = rng.standard_normal((6, d))
    k = rmtsolve.kernels(X, activation="relu", depth=1)
    assert k["nngp"].shape == (6, 6) and np.allclose(k["nngp"], k["nngp"].T)
    # Depth-1 ReLU NNGP in closed form: sqrt(q1 q2)(sin t + (pi - t) cos t)/(2 pi), q = |x|^2/d.
    q = (X * X).sum(1) / d
    c = np.clip(X @ X.T / d / np.sqrt(np.outer(q, q)), -1, 1)
    t = np.arccos(c)
    expected = np.sqrt(np.outer(q, q)) * (np.sin(t) + (np.pi - t) * np.cos(t)) / (2 * np.pi)
    np.testing.assert_allclose(k["nngp"], expected, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="activation"):
        rmtsolve.kernels(X, activation="swish")


def test_kernel_predict_interpolates_and_flows():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 10)), rng.standard_normal(40)
    Xt = rng.standard_normal((5, 10))
    converged = rmtsolve.kernel_predict(X, y, X, activation="erf", depth=2, b_std=0.2)
    np.testing.assert_allclose(converged["mean"][0], y, atol=1e-6)   # ridgeless: interpolation
    flow = rmtsolve.kernel_predict(X, y, Xt, activation="erf", depth=2, b_std=0.2, times=[0.0, 1e9])
    assert np.allclose(flow["mean"][0], 0.0)                         # t = 0: the prior mean
    end = rmtsolve.kernel_predict(X, y, Xt, activation="erf", depth=2, b_std=0.2)
    np.testing.assert_allclose(flow["mean"][1], end["mean"][0], rtol=1e-6, atol=1e-8)
    assert flow["eta_max"] > 0


def test_srf_class_per_model_function():
    t = rmtsolve.srf_class(loss="hinge", eta=[0.0, 2.0], alpha=2.0)
    c = rmtsolve.curve("srf-class", loss="hinge", eta=[0.0, 2.0], alpha=2.0)
    np.testing.assert_allclose(t["classification_error"], c["classification_error"], rtol=1e-12)
    assert t["classification_error"][1] < t["classification_error"][0]  # the step helps here
    with pytest.raises(ValueError, match="loss"):
        rmtsolve.srf_class(loss="huber")
