import math
import os

import numpy as np
import pytest

import rmtsolve

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_mei_montanari_value_and_arrays():
    # docs/theory/srf.md §4.1: tanh student, linear target, tau^2 = 0.25, psi1 = 2, psi2 = 1, lambda_MM = 1e-2.
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
        # Every output equals what the CLI prints for the same points: the binding copies the
        # right numbers into the right columns (a swapped or stale column fails here).
        cli = os.environ.get("RMTSOLVE_CLI")
        if cli:
            import json
            import subprocess
            out = subprocess.run([cli, "curve", m["name"], f"--{name}", ",".join(repr(float(g)) for g in grid),
                                  "--format", "json"], capture_output=True, text=True, check=True).stdout
            rows = json.loads(out)["rows"]
            for output in m["outputs"]:
                expected = np.array([np.nan if r[output] is None else r[output] for r in rows], dtype=float)
                np.testing.assert_allclose(t[output], expected, rtol=1e-12, atol=0, equal_nan=True,
                                           err_msg=f"{m['name']}.{output}")


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
    # alpha = n/d = 2 with beta = p/d = 2 is the ridgeless interpolation threshold n = p.
    with pytest.warns(rmtsolve.ConvergenceWarning, match=r"1 of 3 points of rf did not converge.*alpha=2\.0 \(divergent\)"):
        t = rmtsolve.curve("rf", alpha=[1.0, 2.0, 3.0], beta=2, lambda_=0)
    assert t.failed_points == 1
    assert t.non_converged == [{"alpha": 2.0, "beta": 2.0, "lambda": 0.0, "noise": 0.0,
                                "activation": "tanh", "target": "linear"}]
    assert t["converged"].dtype == bool and list(t["converged"]) == [True, False, True]
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
        rmtsolve.simulate("gcm", alpha=[1.0], d=100, seeds=2, precision="float32")


def test_gcm_ridge_from_numpy_matches_isotropic_closed_form():
    p = 80
    eye = np.eye(p)
    r = rmtsolve.gcm_ridge(eye, eye, eye, alpha=[0.5, 1.5], lambda_=0.0, noise=0.25)
    # F^2 (1 - a) + tau^2 / (1 - a) at a = 0.5;  tau^2 a / (a - 1) at 1.5.
    np.testing.assert_allclose(r["test_error"], [1.0, 0.75], rtol=1e-9)
    assert isinstance(r, rmtsolve.Table) and r.columns[:3] == ["alpha", "lambda", "noise"]
    assert r["converged"].all() and r.metadata["parameters"]["p"] == p
    # ridgeless at the interpolation threshold alpha = n/p = 1 has no finite test error
    with pytest.warns(rmtsolve.ConvergenceWarning, match="alpha=1.0"):
        t = rmtsolve.gcm_ridge(eye, eye, eye, alpha=1.0, lambda_=0.0, noise=0.25)
    assert not t["converged"][0] and math.isnan(t["test_error"][0])


def test_validation_suite():
    t = rmtsolve.validate_suite(os.path.join(ROOT, "validation", "rf_double_descent"), reduced=True)  # ".json" optional
    assert t.failed_points == 0 and len(t["verdict"]) == 8
    assert t.metadata["suite"].endswith("rf_double_descent.json")
    with pytest.raises(ValueError, match="suite"):
        rmtsolve.validate_suite("no_such_suite")


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


def test_metadata_is_typed_and_complete():
    c = rmtsolve.curve("rf", alpha=[0.5, 1.0], beta=2, solver={"max_iterations": 300})
    m = c.metadata
    assert m["model"] == "rf" and isinstance(m["rmtsolve"], str)
    # every parameter, given or default, with its Python type
    assert m["parameters"]["alpha"] == [0.5, 1.0] and m["parameters"]["beta"] == 2
    assert m["parameters"]["activation"] == "tanh" and isinstance(m["parameters"]["lambda"], float)
    # every solver option: the one given and the library's defaults
    assert m["solver"]["max_iterations"] == 300 and set(m["solver"]) == {"tolerance", "max_iterations", "damping", "anderson"}
    assert m["command"].startswith("python: rmtsolve.curve('rf'")
    v = rmtsolve.validate("rf", alpha=[0.5], d=60, seeds=2)
    assert v.metadata["d"] == 60 and v.metadata["seeds"] == 2 and isinstance(v.metadata["base_seed"], int)


def test_csv_and_json_round_trip_match_the_cli(tmp_path):
    import json
    import subprocess
    args = ["--alpha", "1,2,3", "--beta", "2", "--lambda", "0"]
    with pytest.warns(rmtsolve.ConvergenceWarning):
        t = rmtsolve.curve("rf", alpha=[1, 2, 3], beta=2, lambda_=0)
    t.to_csv(tmp_path / "t.csv")
    t.to_json(tmp_path / "t.json")
    mine = [l for l in (tmp_path / "t.csv").read_text().splitlines() if not l.startswith("#")]
    cli = subprocess.run([os.environ.get("RMTSOLVE_CLI", "rmtsolve"), "curve", "rf", *args],
                         capture_output=True, text=True)
    assert cli.returncode == 3  # the divergent point
    theirs = [l for l in cli.stdout.splitlines() if not l.startswith("#")]
    assert mine[0] == theirs[0] and len(mine) == len(theirs) == 4
    for a, b in zip(mine[1:], theirs[1:]):
        for x, y in zip(a.split(","), b.split(",")):
            try:
                fx, fy = float(x), float(y)
            except ValueError:
                assert x == y  # text cells, and the empty cells of the divergent point
                continue
            # Same library and inputs; both print 12 significant digits.
            assert fx == pytest.approx(fy, rel=1e-11, abs=1e-300)
    doc = json.loads((tmp_path / "t.json").read_text())
    assert doc["columns"] == t.columns and len(doc["rows"]) == 3
    assert doc["rows"][1]["test_error"] is None and doc["rows"][1]["converged"] is False
    assert doc["metadata"]["parameters"]["beta"] == 2


def test_to_pandas():
    pandas = pytest.importorskip("pandas")
    t = rmtsolve.curve("srf", activation="tanh", target="tanh", alpha0=2, eta=[0, 1], alpha="0.5:2:3")
    df = t.to_pandas()
    assert isinstance(df, pandas.DataFrame) and list(df.columns) == t.columns and len(df) == 6
    np.testing.assert_array_equal(df["test_error"].to_numpy(), t["test_error"])
    assert df.attrs["metadata"]["model"] == "srf"

def test_optimize_and_reach_keywords(tmp_path):
    # Isotropic ridge (equations/gcm_ridge/README.md): lambda* = noise/rho, and at optimal ridge
    # the error 0.5 is reached at alpha = 1.5 (rho = 1, noise = 0.25).
    spectrum = tmp_path / "spectrum.csv"
    p = 40
    spectrum.write_text("omega,t\n" + "".join(f"1,{1.0 / p!r}\n" for _ in range(p)))
    o = rmtsolve.curve("gcm", spectrum=str(spectrum), alpha=[0.5, 2.0], noise=0.25, optimize="lambda",
                       bounds=(1e-4, 10))
    np.testing.assert_allclose(o["lambda_opt"], [0.25, 0.25], rtol=1e-4)
    assert list(o["on_bound"]) == ["no", "no"]
    r = rmtsolve.curve("gcm", spectrum=str(spectrum), noise=0.25, optimize="lambda",
                       reach=("test_error", 0.5), over=("alpha", 0.05, 50))
    np.testing.assert_allclose(r["alpha_reach"], [1.5], rtol=1e-6)
    with pytest.raises(ValueError, match="bounds"):
        rmtsolve.curve("rf", optimize="lambda", bounds=(1.0, 0.1))
    with pytest.raises(ValueError, match="objective"):
        rmtsolve.curve("rf", optimize="lambda", objective="nonsense")
    with pytest.raises(ValueError, match="optimize"):
        rmtsolve.curve("rf", optimize="lambda", lambda_=[0.1, 1])
    with pytest.raises(ValueError, match="over"):
        rmtsolve.curve("rf", reach="test_error=0.3")


def test_solver_method_column_does_not_hide_the_method_flag():
    t = rmtsolve.curve("deep", widths="2,1", activations="tanh", alpha=1.0)
    assert t["method"] == ["chain"]              # the model's --method
    assert t["solver_method"][0] != "chain"      # the solver's own summary, kept beside it
    assert len(set(t.columns)) == len(t.columns)


def test_metadata_records_revision_time_and_blas():
    m = rmtsolve.curve("rf", alpha=1.0).metadata
    assert m["git_revision"]
    assert m["time_utc"].endswith("Z")
    assert "kernel" in m["blas"]
    assert m["command"] == "python: rmtsolve.curve('rf', alpha=1.0)"
# ---- Hostile inputs (issue 13): ranges shared with the CLI, types named, no crash ---------------

@pytest.mark.parametrize("solver, name", [
    ({"tolerance": float("inf")}, "tolerance"), ({"tolerance": 1e300}, "tolerance"), ({"tolerance": 1.0}, "tolerance"),
    ({"tolerance": 0.0}, "tolerance"), ({"tolerance": float("nan")}, "tolerance"), ({"tolerance": -1.0}, "tolerance"),
    ({"damping": 1.0}, "damping"), ({"damping": float("nan")}, "damping"), ({"damping": -3.0}, "damping"),
    ({"anderson": -1}, "anderson"), ({"max_iterations": 0}, "max_iterations"), ({"max_iterations": -5}, "max_iterations"),
    ({"max_iterations": 10**12}, "max_iterations"),
])
def test_solver_options_have_the_cli_ranges(solver, name):
    with pytest.raises(ValueError, match=name):
        rmtsolve.curve("rf", solver=solver, alpha=1.0)


def test_verdict_and_size_options_have_the_cli_ranges():
    for kwargs, name in [({"k_sigma": -1.0}, "k_sigma"), ({"k_sigma": float("inf")}, "k_sigma"),
                         ({"rel_tol": -1.0}, "rel_tol"), ({"rel_tol": float("nan")}, "rel_tol"),
                         ({"rel_tol": float("inf")}, "rel_tol"), ({"d": 0}, "d"), ({"d": 10**7}, "d"),
                         ({"seeds": 0}, "seeds"), ({"seed": -1}, "seed"), ({"seed": 2**64}, "seed"),
                         ({"threads": -1}, "threads")]:
        with pytest.raises(ValueError, match=name):
            rmtsolve.validate("rf", alpha=1.0, **{"d": 30, "seeds": 2, **kwargs})


def test_bad_types_raise_type_error_naming_the_parameter():
    for kwargs, name in [({"alpha": None}, "alpha"), ({"alpha": {"a": 1}}, "alpha"), ({"alpha": 1j}, "alpha"),
                         ({"alpha": b"1"}, "alpha"), ({"activation": 3}, "activation")]:
        with pytest.raises(TypeError, match=name):
            rmtsolve.curve("rf", **kwargs)
    with pytest.raises(ValueError, match="alpha"):
        rmtsolve.curve("rf", alpha=np.ones((2, 2)))
    for kwargs, name in [({"d": 30.5}, "d"), ({"d": None}, "d"), ({"seeds": "8"}, "seeds"), ({"seed": 1.0}, "seed"),
                         ({"precision": None}, "precision")]:
        with pytest.raises(TypeError, match=name):
            rmtsolve.simulate("rf", alpha=1.0, **kwargs)
    with pytest.raises(TypeError, match="tolerance"):
        rmtsolve.curve("rf", solver={"tolerance": "1e-8"}, alpha=1.0)
    with pytest.raises(TypeError, match="solver"):
        rmtsolve.curve("rf", solver=[1], alpha=1.0)


def test_gcm_ridge_refuses_empty_and_malformed_arrays():
    eye = np.eye(3)
    with pytest.raises(ValueError, match="Psi"):
        rmtsolve.gcm_ridge(np.zeros((0, 0)), np.zeros((0, 0)), np.zeros((0, 0)), [1.0])
    with pytest.raises(ValueError, match="Omega"):
        rmtsolve.gcm_ridge(eye, eye, np.zeros((3, 0)), [1.0])
    with pytest.raises(ValueError, match="Phi"):
        rmtsolve.gcm_ridge(eye, np.eye(2), eye, [1.0])
    with pytest.raises(TypeError, match="Psi"):
        rmtsolve.gcm_ridge(None, eye, eye, [1.0])
    with pytest.raises(TypeError, match="Omega"):
        rmtsolve.gcm_ridge(eye, eye, eye * 1j, [1.0])
    with pytest.raises(TypeError, match="alpha"):
        rmtsolve.gcm_ridge(eye, eye, eye, "x")
    with pytest.raises(ValueError, match="alpha"):
        rmtsolve.gcm_ridge(eye, eye, eye, [-1.0])
    # The well-posed call still works: isotropic noiseless ridgeless closed form 1 - a below a = 1 and
    # 0 above; lambda = 1e-6 moves it by O(lambda) << 1e-4.
    r = rmtsolve.gcm_ridge(np.eye(30), np.eye(30), np.eye(30), [0.5, 2.0], lambda_=1e-6)
    np.testing.assert_allclose(r["test_error"], [0.5, 0.0], atol=1e-4)


def test_memory_estimate_refuses_before_allocating():
    # alpha = 1e6 at d = 40 means 4e7 samples x 40 inputs: about 25 GB before any feature.
    with pytest.raises(ValueError, match="memory|GB"):
        rmtsolve.simulate("rf", alpha=1e6, d=40, seeds=1)


def test_kernel_functions_name_bad_arguments():
    x = np.random.default_rng(0).standard_normal((4, 3))
    with pytest.raises(ValueError, match="X1"):
        rmtsolve.kernels(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="X1"):
        rmtsolve.kernels(None)
    with pytest.raises(ValueError, match="X2"):
        rmtsolve.kernels(x, np.ones((2, 5)))
    with pytest.raises(ValueError, match="depth"):
        rmtsolve.kernels(x, depth=10**6)
    with pytest.raises(TypeError, match="w_std"):
        rmtsolve.kernels(x, w_std="1")
    with pytest.raises(ValueError, match="y_train"):
        rmtsolve.kernel_predict(x, np.ones(3), x)
    with pytest.raises(TypeError, match="times"):
        rmtsolve.kernel_predict(x, np.ones(4), x, times="1")
    k = rmtsolve.kernels(x)  # still works: a kernel matrix is symmetric with positive diagonal
    np.testing.assert_allclose(k["nngp"], k["nngp"].T, rtol=1e-12)
    assert np.all(np.diag(k["ntk"]) > 0)


def test_srf_class_per_model_function():
    t = rmtsolve.srf_class(loss="hinge", eta=[0.0, 2.0], alpha=2.0)
    c = rmtsolve.curve("srf-class", loss="hinge", eta=[0.0, 2.0], alpha=2.0)
    np.testing.assert_allclose(t["classification_error"], c["classification_error"], rtol=1e-12)
    assert t["classification_error"][1] < t["classification_error"][0]  # the step helps here
    with pytest.raises(ValueError, match="loss"):
        rmtsolve.srf_class(loss="huber")


def _import_in_subprocess(env_extra):
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "RMTSOLVE_BLAS_KERNEL")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-W", "always", "-c", "import rmtsolve; print(rmtsolve.blas_info()['kernel'])"],
                          env=env, capture_output=True, text=True, timeout=120)


def test_blas_fallback_kernel_warns_at_import_with_the_fix():
    # OpenBLAS's choice is simulated as its generic kernel; on a CPU with AVX2 or AVX-512 the import
    # must say which kernel to set.
    r = _import_in_subprocess({"RMTSOLVE_BLAS_ASSUME_KERNEL": "Prescott"})
    assert r.returncode == 0, r.stderr
    if "avx" not in open("/proc/cpuinfo").read():
        pytest.skip("no AVX on this CPU: the generic kernel is the right one")
    assert "BlasKernelWarning" in r.stderr and "OPENBLAS_CORETYPE=" in r.stderr, r.stderr
    assert r.stdout.strip() == "Prescott"


def test_blas_kernel_set_explicitly_or_kept_gives_no_warning():
    for extra in ({"RMTSOLVE_BLAS_ASSUME_KERNEL": "Prescott", "OPENBLAS_CORETYPE": "Prescott"},
                  {"RMTSOLVE_BLAS_ASSUME_KERNEL": "Prescott", "RMTSOLVE_BLAS_KERNEL": "keep"}):
        r = _import_in_subprocess(extra)
        assert r.returncode == 0, r.stderr
        assert "BlasKernelWarning" not in r.stderr, (extra, r.stderr)
    info = rmtsolve.blas_info()
    assert info["kernel"] and "kernel" in info["describe"]


def test_per_model_functions_have_explicit_parameters_and_documented_columns():
    import inspect
    for info in rmtsolve.models():
        api = getattr(rmtsolve, info["name"].replace("-", "_"))
        sig = inspect.signature(api.curve)
        for name, (default, _) in list(info["numbers"].items()) + list(info["texts"].items()):
            pname = "lambda_" if name == "lambda" else name
            assert pname in sig.parameters, (info["name"], pname)
            assert sig.parameters[pname].default == default
        doc = api.curve.__doc__
        for output in info["outputs"]:
            assert f"\n    {output} : " in doc, (info["name"], output)
        if info["simulated_outputs"]:
            assert "seeds" in inspect.signature(api.simulate).parameters
            assert "k_sigma" in inspect.signature(api.validate).parameters
            for column, meaning in info["columns"]["validate"]:
                assert meaning, (info["name"], column)


def test_per_model_curve_equals_generic_curve_and_rejects_unknown_keywords():
    a = rmtsolve.srf.curve(alpha=[0.5, 1.0, 2.0], eta=1.5, lambda_=1e-2)
    b = rmtsolve.curve("srf", alpha=[0.5, 1.0, 2.0], eta=1.5, lambda_=1e-2)
    np.testing.assert_allclose(a["test_error"], b["test_error"], rtol=1e-13)
    with pytest.raises(TypeError, match="alpa"):
        rmtsolve.srf.curve(alpa=1.0)
    with pytest.raises(TypeError, match="seeds"):
        rmtsolve.srf.curve(seeds=3)
    # The srf-class namespace stays callable as the curve.
    c = rmtsolve.srf_class(loss="logistic", alpha=2.0)
    np.testing.assert_allclose(c["classification_error"], rmtsolve.srf_class.curve(loss="logistic", alpha=2.0)["classification_error"], rtol=1e-13)


def test_notebook_style_three_alphas_to_dataframe_and_file(tmp_path):
    pd = pytest.importorskip("pandas")
    frames = [rmtsolve.srf.curve(alpha=a, eta="0:2:3").to_pandas() for a in (0.5, 1.0, 2.0)]
    df = pd.concat(frames, ignore_index=True)
    assert len(df) == 9 and set(df["alpha"]) == {0.5, 1.0, 2.0}
    out = tmp_path / "srf.csv"
    df.to_csv(out, index=False)
    back = pd.read_csv(out)
    np.testing.assert_allclose(back["test_error"], df["test_error"], rtol=1e-12)


def test_python_callable_activation_reproduces_builtin_tanh():
    # Same adaptive quadrature as the built-in tanh: agreement to 1e-9 relative is the stated accuracy.
    s = rmtsolve.activation(lambda x: np.tanh(x))
    for model, key, extra in (("rf", "activation", {"beta": 2.0}), ("srf", "activation", {"eta": 1.5}),
                              ("deep", "activations", {"widths": "1.5,1"})):
        a = rmtsolve.curve(model, alpha=[0.5, 2.0], **{key: s}, **extra)["test_error"]
        b = rmtsolve.curve(model, alpha=[0.5, 2.0], **{key: "tanh"}, **extra)["test_error"]
        np.testing.assert_allclose(a, b, rtol=1e-9, err_msg=model)
    # Monte Carlo on two seed threads: the callable runs vectorised on the feature matrices, under the GIL.
    a = rmtsolve.simulate("rf", alpha=1.0, d=60, seeds=2, threads=2, activation=s)["test_error_mean"]
    b = rmtsolve.simulate("rf", alpha=1.0, d=60, seeds=2, threads=2, activation="tanh")["test_error_mean"]
    np.testing.assert_allclose(a, b, rtol=1e-10)
    # A CLI formula is the same activation.
    c = rmtsolve.curve("rf", alpha=[0.5, 2.0], beta=2.0, activation="expr:tanh(x)")["test_error"]
    np.testing.assert_allclose(c, rmtsolve.curve("rf", alpha=[0.5, 2.0], beta=2.0)["test_error"], rtol=1e-9)


def test_python_activation_errors_name_the_argument():
    with pytest.raises(TypeError, match="f:"):
        rmtsolve.activation(3.0)
    with pytest.raises(ValueError, match="f: not finite"):
        rmtsolve.activation(lambda x: np.log(x))
    with pytest.raises(ValueError, match="same shape"):
        rmtsolve.activation(lambda x: np.sum(x))

    def raises_beyond_3(x):
        if np.ndim(x) == 0 and x > 3:
            raise RuntimeError("boom")
        return np.tanh(x)
    with pytest.raises(ValueError, match="activation: .*boom"):
        rmtsolve.activation(raises_beyond_3)


def test_gcm_takes_numpy_covariances_for_every_loss(tmp_path):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((60, 60))
    omega = A @ A.T / 60 + 0.1 * np.eye(60)
    path = str(tmp_path / "omega.npy")
    np.save(path, omega)
    for loss in ("square", "logistic", "hinge"):
        a = rmtsolve.gcm.curve(omega=omega, phi=omega, psi=omega, loss=loss, teacher="sign", alpha=[1.0, 2.0])
        b = rmtsolve.gcm.curve(omega=path, phi=path, psi=path, loss=loss, teacher="sign", alpha=[1.0, 2.0])
        np.testing.assert_allclose(a["classification_error"], b["classification_error"], rtol=1e-12, err_msg=loss)
        assert a.metadata["parameters"]["omega"] == "<numpy array 60x60>"
    with pytest.raises(ValueError, match="omega"):
        rmtsolve.gcm.curve(omega=np.zeros((2, 2, 2)), phi=path, psi=path)


def test_kernel_predict_multi_output_returns_stacked_arrays():
    rng = np.random.default_rng(1)
    X, Y, Xt = rng.standard_normal((40, 10)), rng.standard_normal((40, 3)), rng.standard_normal((5, 10))
    a = rmtsolve.kernel_predict(X, Y, Xt, activation="erf", depth=2, times=[0.0, 1.0, 10.0])
    assert a["mean"].shape == (3, 5, 3) and a["covariance"].shape == (3, 5, 5) and a["times"].shape == (3,)
    for j in range(3):
        # The loss is normalised by y.size: k outputs flow at 1/k the speed of one.
        b = rmtsolve.kernel_predict(X, Y[:, j], Xt, activation="erf", depth=2, times=[0.0, 1.0 / 3, 10.0 / 3])
        assert b["mean"].shape == (3, 5)
        np.testing.assert_allclose(a["mean"][:, :, j], b["mean"], rtol=1e-10, atol=1e-12)
    c = rmtsolve.kernel_predict(X, Y, X, activation="erf", depth=2)
    assert c["mean"].shape == (1, 40, 3)
    np.testing.assert_allclose(c["mean"][0], Y, atol=1e-6)   # ridgeless: interpolation of every output
    with pytest.raises(ValueError, match="y_train"):
        rmtsolve.kernel_predict(X, Y[:30], Xt)


def test_ctrl_c_stops_the_sweep_and_keeps_the_finished_points():
    import signal
    entries = [0]
    two_points = (20 + 1000) * 40 + (40 + 1000) * 40   # (n + n_test) p feature entries of alpha = 0.5, 1

    def sigma(x):
        # The interrupt arrives from inside the computation (an event, not a timer): at the first
        # feature entries of the third of five points.
        before = entries[0]
        entries[0] += np.size(x)
        if before <= two_points < entries[0]:
            os.kill(os.getpid(), signal.SIGINT)
        return np.tanh(x)
    s = rmtsolve.activation(sigma)
    entries[0] = 0
    with pytest.raises(rmtsolve.Interrupted) as e:
        rmtsolve.simulate("rf", alpha=[0.5, 1.0, 1.5, 2.0, 2.5], d=40, seeds=1, threads=1, n_test=1000, activation=s)
    t = e.value.table
    assert t.nrows == 2 and np.all(np.isfinite(t["test_error_mean"]))
    assert isinstance(e.value, KeyboardInterrupt)
    # The interrupt was consumed: the next call runs to the end, and Python's own Ctrl-C handling is back.
    assert rmtsolve.simulate("rf", alpha=[0.5, 1.0], d=40, seeds=1, threads=1).nrows == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_inside_one_long_seed_stops_that_seed():
    # Two points of one seed each (d = 200, p = 200, 5000 test samples).  The interrupt arrives as
    # soon as the activation sees the second point's first entries, i.e. inside that point's only
    # seed, while its training features are computed.  The seed must stop at its next stage: the
    # 5000 x 200 test features are never computed (before, the seed ran to its end).  An event, not
    # a timer: the callback counts the entries it is handed.
    import signal
    first_point = 100 * 200 + 5000 * 200          # n p + n_test p entries of the first point (alpha = 0.5)
    seen = {"entries": 0, "after": 0, "sent": False}

    def sigma(x):
        if seen["sent"]:
            seen["after"] += np.size(x)
        seen["entries"] += np.size(x)
        if not seen["sent"] and seen["entries"] > first_point:
            seen["sent"] = True
            os.kill(os.getpid(), signal.SIGINT)
        return np.tanh(x)
    s = rmtsolve.activation(sigma)
    seen.update(entries=0, after=0, sent=False)
    with pytest.raises(rmtsolve.Interrupted) as e:
        rmtsolve.simulate("rf", alpha=[0.5, 1.0], d=200, seeds=1, threads=1, n_test=5000, activation=s)
    assert seen["sent"]
    assert e.value.table.nrows == 1 and np.all(np.isfinite(e.value.table["test_error_mean"]))
    assert seen["after"] < 200 * 200, seen   # at most the rest of the training features, no test block


def test_ctrl_c_inside_a_theory_point_abandons_that_point():
    # The theory solver checks for an interrupt at every iteration, so a point whose solve is under
    # way when Ctrl-C arrives is abandoned instead of being finished (before: the first point ran to
    # its end and came back as a row).  The signal is sent from the 100th call of σ: an rf point
    # makes ~740 calls of it (its Gaussian coefficients), the parse at the edge a handful, so the
    # signal lands inside the first point's solve -- an event, not a timer.
    import signal
    calls = [-10**9]  # not armed while rmtsolve.activation checks the function

    def sigma(x):
        calls[0] += 1
        if calls[0] == 100:
            os.kill(os.getpid(), signal.SIGINT)
        return np.tanh(1.234 * x)
    s = rmtsolve.activation(sigma)
    calls[0] = 0
    with pytest.raises(rmtsolve.Interrupted) as e:
        rmtsolve.curve("rf", alpha=[0.5, 1.0, 1.5], activation=s)
    assert calls[0] >= 100
    assert e.value.table.nrows == 0
    calls[0] = -10**9  # no further signal
    assert rmtsolve.curve("rf", alpha=[0.5, 1.0], activation=s).nrows == 2


def test_search_and_solver_arguments_of_the_wrong_type_are_named():
    # Found by trying every argument with numbers, arrays and None: these reached pybind11 or
    # len() and came back as messages naming no argument.
    cases = [(dict(optimize=1.5), "optimize: must be a string"),
             (dict(objective=True), "objective: must be a string"),
             (dict(over=0.5, reach="test_error=0.3"), "over: must be"),
             (dict(solver=np.array([[1.0, 2.0]])), "solver: must be a dict")]
    for kwargs, message in cases:
        with pytest.raises((TypeError, ValueError)) as e:
            rmtsolve.curve("rf", alpha=1.0, **kwargs)
        assert str(e.value).startswith(message), (kwargs, str(e.value))
    with pytest.raises(TypeError, match="^solver: must be a dict"):
        rmtsolve.validate("rf", alpha=1.0, d=20, seeds=1, solver=[1e-10])
