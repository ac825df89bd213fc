"""rmtsolve: learning curves of neural-network models in the proportional limit.

    import rmtsolve
    c = rmtsolve.curve("rf", activation="tanh", alpha="0.2:4:20", beta=2, lambda_=1e-2, noise=0.25)
    c["alpha"], c["test_error"]          # numpy arrays, one entry per grid point

Parameters are the CLI flags of `rmtsolve curve MODEL --help` (``lambda`` is spelt ``lambda_``).
A numeric parameter takes a number, a sequence, or a grid string ("a:b:n", "a:b:n:log", "x,y,z").
Invalid input raises ValueError (a value out of range) or TypeError (a value of the wrong type)
naming the parameter.  Points that did not converge have NaN in their output columns, are listed
in ``table.notes`` and ``table.non_converged``, and raise a ``rmtsolve.ConvergenceWarning`` naming
them.  Tables convert with ``to_pandas()`` (pandas is optional) and save with ``to_csv(path)`` /
``to_json(path)`` in the CLI's formats.
"""
import json as _json
import math as _math
import os as _os
import re as _re
import tempfile as _tempfile
import warnings as _warnings

import numpy as _np

from . import _rmtsolve

__version__ = _rmtsolve.__version__


def _check_numpy_abi():
    # pybind11 before 2.12 reads numpy's dtype struct with the numpy 1 layout (itemsize, strides):
    # a module built against it gives wrong arrays under numpy 2.  Refuse rather than mis-compute.
    try:
        built = tuple(int(x) for x in _rmtsolve._pybind11_version.split(".")[:2])
    except (AttributeError, ValueError):
        return
    if int(_np.__version__.split(".")[0]) >= 2 and built < (2, 12):
        raise ImportError(f"rmtsolve was built with pybind11 {_rmtsolve._pybind11_version}, which does not support "
                          f"numpy {_np.__version__}; rebuild it with pybind11 >= 2.12 (pip install . does, with "
                          "build isolation) or use numpy < 2")


_check_numpy_abi()


class BlasKernelWarning(RuntimeWarning):
    """OpenBLAS runs a generic fallback kernel although the CPU supports a much faster one."""


def _check_blas_kernel():
    # OpenBLAS picks its kernel when it is loaded, from the CPU model; a masked model (common on
    # cloud VMs) gets the SSE3 fallback, 4-5x slower on every product.  The CLI restarts itself with
    # a better kernel; an interpreter cannot, so say how to fix it.
    advice = _rmtsolve._blas_advice()
    if advice["recommended"]:
        _warnings.warn(f"{advice['reason']}. Start Python with OPENBLAS_CORETYPE={advice['recommended']} in the "
                       "environment (this also speeds up numpy when it uses OpenBLAS); set RMTSOLVE_BLAS_KERNEL=keep "
                       "to silence this warning", BlasKernelWarning, stacklevel=3)


def blas_info():
    """The BLAS library and kernel in use, and what rmtsolve advises about it (a dict)."""
    return dict(_rmtsolve._blas_advice())


_check_blas_kernel()
__all__ = ["Table", "ConvergenceWarning", "BlasKernelWarning", "Interrupted", "blas_info", "activation", "curve", "simulate", "validate", "validate_suite", "models", "gcm_ridge", "kernels",
           "kernel_predict", "srf_class"]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) during curve/simulate/validate: the sweep stopped after the point or seed
    under way; ``.table`` holds every point finished before, as the CLI keeps them."""

    def __init__(self, table):
        super().__init__(f"interrupted: {table.nrows} finished points kept in .table")
        self.table = table


class ConvergenceWarning(RuntimeWarning):
    """Some points of a table did not converge: their outputs are NaN (see ``Table.non_converged``)."""


_TRUE, _FALSE = {"yes", "true"}, {"no", "false"}


def _typed(value):
    """A metadata value as written by the library (text) -> bool, int, float or the text itself."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    if _re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if _re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", text, flags=_re.IGNORECASE):
        return float(text)
    return value


def _format_number(v):
    return "" if _math.isnan(v) else format(v, ".12g")


def _write_atomically(path, text):
    # Same contract as the CLI's --output: a temporary file beside the target, then a rename.
    directory = _os.path.dirname(_os.path.abspath(path))
    fd, tmp = _tempfile.mkstemp(prefix=".rmtsolve-", dir=directory)
    try:
        with _os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        _os.replace(tmp, path)
    except BaseException:
        if _os.path.exists(tmp):
            _os.unlink(tmp)
        raise


class Table(dict):
    """Columns by name (numpy arrays for numbers, lists for text), plus metadata and notes.

    ``metadata`` values are typed (numbers as numbers, yes/no as booleans); ``converged`` is a
    boolean column.  ``non_converged`` lists the parameters of every point that did not converge.
    """

    def __init__(self, raw):
        super().__init__(raw["data"])
        self.columns = list(raw["columns"])
        self.metadata = {k: _typed(v) for k, v in raw["metadata"].items()}
        self.failed_points = int(raw["failed_points"])
        self.notes = list(raw["notes"])
        if "converged" in self:
            self["converged"] = _np.asarray(self["converged"]) == 1.0
        self.non_converged = []

    @property
    def nrows(self):
        """Number of rows (points); len(table) is the number of columns, as for any dict."""
        return len(next(iter(self.values()))) if self else 0

    def __repr__(self):
        return f"<rmtsolve.Table {self.metadata.get('model', '')}: {self.nrows} rows, columns {self.columns}>"

    def rows(self):
        """The table row by row, as dicts."""
        return [{c: self[c][i] for c in self.columns} for i in range(self.nrows)]

    def to_pandas(self):
        """A pandas DataFrame of the columns, in order; ``df.attrs`` holds the metadata and notes.
        pandas is optional: Debian's python3-pandas, or ``pip install pandas``."""
        try:
            import pandas
        except ImportError as e:
            raise ImportError("Table.to_pandas needs pandas (Debian: apt-get install python3-pandas; "
                              "otherwise pip install pandas)") from e
        df = pandas.DataFrame({c: self[c] for c in self.columns}, columns=self.columns)
        df.attrs["metadata"] = dict(self.metadata)
        df.attrs["notes"] = list(self.notes)
        return df

    def _cells(self, i):
        for c in self.columns:
            v = self[c][i]
            if isinstance(v, (bool, _np.bool_)):
                yield c, bool(v)
            elif isinstance(v, (int, float, _np.integer, _np.floating)):
                yield c, float(v)
            else:
                yield c, str(v)

    def to_csv(self, path=None):
        """The CLI's CSV: "# key: value" metadata lines, a header, one row per point (NaN as empty).
        Writes `path` atomically and returns None, or returns the text when `path` is None."""
        import csv
        import io
        out = io.StringIO()
        for k, v in self.metadata.items():
            out.write(f"# {k}: {_json.dumps(v) if isinstance(v, (dict, list)) else v}\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for i in range(self.nrows):
            writer.writerow([(int(v) if isinstance(v, bool) else _format_number(v)) if not isinstance(v, str) else v
                             for _, v in self._cells(i)])
        if path is None:
            return out.getvalue()
        _write_atomically(path, out.getvalue())
        return None

    def to_json(self, path=None):
        """The CLI's JSON: {"metadata", "columns", "rows": [{column: value}]}, NaN as null.
        Writes `path` atomically and returns None, or returns the text when `path` is None."""
        rows = [{c: (None if isinstance(v, float) and not _math.isfinite(v) else v) for c, v in self._cells(i)}
                for i in range(self.nrows)]
        text = _json.dumps({"metadata": self.metadata, "columns": self.columns, "rows": rows}, indent=2) + "\n"
        if path is None:
            return text
        _write_atomically(path, text)
        return None


_MODEL_INFO = {}


def _model_info(name):
    if not _MODEL_INFO:
        for m in _rmtsolve.models():
            _MODEL_INFO[m["name"]] = m
    return _MODEL_INFO.get(name)


def _plain(value):
    if isinstance(value, _np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, _np.generic):
        return value.item()
    return value


def _finish(table, model, params, solver=None, command=None):
    """Typed metadata with every parameter (given or default) and solver option, and a
    ConvergenceWarning naming the points that did not converge."""
    info = _model_info(model)
    if info is not None:
        parameters = {k: v[0] for k, v in info["numbers"].items()}
        parameters.update({k: v[0] for k, v in info["texts"].items()})
        parameters.update({k: _plain(v) for k, v in params.items()})
        table.metadata["parameters"] = parameters
    if solver is not None:
        options = dict(_rmtsolve.solver_defaults())
        options.update(solver)
        table.metadata["solver"] = options
    if command is not None:
        table.metadata["command"] = command
    if str(table.metadata.get("interrupted", "")).startswith("yes"):
        raise Interrupted(table)
    if "converged" in table and info is not None:
        names = [c for c in table.columns if c in info["numbers"] or c in info["texts"]]
        bad = [i for i, ok in enumerate(table["converged"]) if not ok]
        table.non_converged = [{c: _plain(table[c][i]) for c in names} for i in bad]
        if bad:
            def point(i):
                varying = [c for c in names if len({str(x) for x in table[c]}) > 1] or names
                reason = table["reason"][i] if "reason" in table else "not converged"
                return ", ".join(f"{c}={_plain(table[c][i])}" for c in varying) + f" ({reason})"
            shown = "; ".join(point(i) for i in bad[:10]) + ("; ..." if len(bad) > 10 else "")
            _warnings.warn(f"rmtsolve: {len(bad)} of {table.nrows} points of {model} did not converge, "
                           f"their outputs are NaN: {shown}", ConvergenceWarning, stacklevel=3)
    return table


def _shown(params):
    # Arrays in the recorded call: their shape, not their contents.
    return {k: (f"<numpy array {'x'.join(str(n) for n in v.shape)}>" if isinstance(v, _np.ndarray) and v.ndim == 2 else v)
            for k, v in params.items()}


def _call(name, model, params, **options):
    given = ", ".join([repr(model)] + [f"{k}={_plain(v)!r}" for k, v in {**options, **params}.items()])
    return f"python: rmtsolve.{name}({given})"


def _params(params):
    return {("lambda" if k == "lambda_" else k): v for k, v in params.items()}


class _ArrayFiles:
    """numpy arrays given for file parameters (gcm's omega/phi/psi/spectrum, deep's input, ...):
    written to .npy files in a private temporary directory for the duration of the call, and shown
    in the metadata as "<numpy array RxC>" rather than as the temporary path."""

    def __init__(self, model, params):
        info = _model_info(model)
        texts = set(info["texts"]) if info else set()
        self.params = dict(params)
        self.shown = dict(params)
        self._dir = None
        for k, v in params.items():
            if k in texts and isinstance(v, _np.ndarray):
                if v.ndim not in (1, 2) or v.size == 0:
                    raise ValueError(f"{k}: a numpy array must be a non-empty vector or matrix, got shape {v.shape}")
                if not _np.issubdtype(v.dtype, _np.number):
                    raise TypeError(f"{k}: a numpy array must be numeric, got dtype {v.dtype}")
                if self._dir is None:
                    self._dir = _tempfile.TemporaryDirectory(prefix="rmtsolve-")
                path = _os.path.join(self._dir.name, f"{k}.npy")
                _np.save(path, _np.ascontiguousarray(v, dtype=float))
                self.params[k] = path
                self.shown[k] = f"<numpy array {'x'.join(str(n) for n in v.shape)}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._dir is not None:
            self._dir.cleanup()


def _shown_metadata(table, files):
    parameters = table.metadata.get("parameters")
    if isinstance(parameters, dict):
        for k, v in files.shown.items():
            if k in parameters and isinstance(v, str) and v.startswith("<numpy array"):
                parameters[k] = v
    for key in list(table.metadata):
        if key.startswith("sha256 ") and files._dir is not None and files._dir.name in key:
            name = _os.path.splitext(_os.path.basename(key[7:]))[0]
            table.metadata[f"sha256 <{name} array>"] = table.metadata.pop(key)
    return table


def _range_text(name, value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be (LO, HI) or 'LO:HI', got {value!r}") from None
    return f"{float(lo)!r}:{float(hi)!r}"


def _text_arg(name, value):
    """A text argument of the search options: None or a string, refused by name otherwise."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{name}: must be a string, got {type(value).__name__}")
    return value


def _solver_arg(solver):
    """The solver options: None or a dict (its values are range-checked by the module)."""
    if solver is None:
        return {}
    if not isinstance(solver, dict):
        raise TypeError(f"solver: must be a dict such as {{'tolerance': 1e-10}}, got {type(solver).__name__}")
    return solver


def curve(model, solver=None, optimize=None, objective=None, bounds=None, reach=None, over=None, **params):
    """Theory learning curve of `model` over the given parameters.

    solver: dict with tolerance in (0, 0.1], max_iterations in [1, 1e6], damping in [0, 1),
    anderson in [0, 100] (the ranges of the CLI flags).
    optimize="lambda" minimises `objective` (default test_error) over that parameter at every point,
    within bounds=(LO, HI); column "lambda_opt".  reach=("test_error", 0.1) or "test_error=0.1" with
    over="alpha" (or over=("alpha", LO, HI)) gives the smallest alpha reaching that value; column
    "alpha_reach".  Both together: the sample complexity at the optimal parameter."""
    solver = _solver_arg(solver)
    search = _rmtsolve.SearchSpec()
    search.optimize = _text_arg("optimize", optimize)
    search.objective = _text_arg("objective", objective)
    search.bounds = _range_text("bounds", bounds)
    if reach is not None and not isinstance(reach, str):
        try:
            output, value = reach
        except (TypeError, ValueError):
            raise ValueError(f"reach: must be (OUTPUT, VALUE) or 'OUTPUT=VALUE', got {reach!r}") from None
        reach = f"{output}={float(value)!r}"
    search.reach = reach or ""
    if over is not None and not isinstance(over, str):
        if not isinstance(over, (tuple, list)) or len(over) != 3:
            raise ValueError(f"over: must be 'PARAM', 'PARAM:LO:HI' or (PARAM, LO, HI), got {over!r}")
        over = f"{over[0]}:{float(over[1])!r}:{float(over[2])!r}"
    search.over = over or ""
    with _ArrayFiles(model, _params(params)) as files:
        table = Table(_rmtsolve.curve(model, files.params, solver or {}, search))
        extra = {k: v for k, v in (("solver", solver), ("optimize", optimize), ("objective", objective),
                                   ("bounds", bounds), ("reach", reach), ("over", over)) if v}
        table = _finish(table, model, files.shown, solver or {}, _call("curve", model, _shown(params), **extra))
        return _shown_metadata(table, files)


def simulate(model, d=400, seeds=8, n_test=0, seed=20261123, threads=0, precision="float64", **params):
    """Monte Carlo table: mean and standard error over `seeds` simulated networks of input dimension d.
    precision="float32" computes the features in single precision (models rf and deep)."""
    with _ArrayFiles(model, _params(params)) as files:
        table = Table(_rmtsolve.simulate(model, files.params, d, seeds, n_test, seed, threads, precision))
        table = _finish(table, model, files.shown, None, _call("simulate", model, _shown(params), d=d, seeds=seeds,
                                                                n_test=n_test, seed=seed, threads=threads,
                                                                precision=precision))
        return _shown_metadata(table, files)


def validate(model, d=400, seeds=8, n_test=0, seed=20261123, threads=0, k_sigma=3.0, rel_tol=None,
             solver=None, precision="float64", **params):
    """Theory and Monte Carlo side by side with a PASS/FAIL verdict per point.
    k_sigma in [0, 100]; rel_tol in [0, 1] (None: the model's finite-size allowance)."""
    solver = _solver_arg(solver)
    with _ArrayFiles(model, _params(params)) as files:
        table = Table(_rmtsolve.validate(model, files.params, solver or {}, d, seeds, n_test, seed, threads, k_sigma,
                                         rel_tol, precision))
        table = _finish(table, model, files.shown, solver or {},
                        _call("validate", model, _shown(params), d=d, seeds=seeds, n_test=n_test, seed=seed,
                              threads=threads, k_sigma=k_sigma, rel_tol=rel_tol, precision=precision))
        return _shown_metadata(table, files)


def _suite_path(path):
    # As `rmtsolve validate NAME`: the path as given, then the suites `cmake --install` puts in
    # <prefix>/share/rmtsolve/validation beside <prefix>/lib/python3.X/*-packages/rmtsolve.
    path = _os.fspath(path)
    name = path if path.endswith(".json") else path + ".json"
    here = _os.path.dirname(_os.path.abspath(__file__))
    for candidate in (path, name, _os.path.join(here, "..", "..", "..", "..", "share", "rmtsolve", "validation",
                                                _os.path.basename(name))):
        if _os.path.isfile(candidate):
            return _os.path.normpath(candidate)
    return path  # the library reports it, naming the argument


def validate_suite(path, reduced=False):
    """Runs a validation suite: a file (validation/*.json) or the name of an installed suite."""
    table = Table(_rmtsolve.validate_suite(_suite_path(path), reduced))
    table.metadata["suite"] = _suite_path(path)
    return table


def srf_class(solver=None, **params):
    """Classification after one gradient step (model ``srf-class``): logistic, hinge or square-loss
    readout on the spiked random features of a two-layer network after one large step.

        t = rmtsolve.srf_class(loss="logistic", eta="0:4:9", alpha=2)
        t["eta"], t["classification_error"]
    """
    return curve("srf-class", solver=solver, **params)


_ACTIVATION_COUNT = [0]


def activation(f, df=None, name=None):
    """Registers a vectorised callable as an activation and returns the name to pass as
    ``activation=`` (or ``target=``, ``activations=``) to any model whose equations need only
    Gaussian expectations of sigma (rf, srf, srf-class, deep, gcm features, krr, nfa...).

        sigma = rmtsolve.activation(lambda x: np.tanh(x) + 0.1 * x)
        rmtsolve.rf.curve(activation=sigma, alpha="0.2:4:20")

    f maps a numpy array to an array of the same shape (it is also called with single floats);
    df is sigma' (optional: a sixth-order central difference of f otherwise, accurate to ~1e-10 for
    smooth f).  Expectations use the adaptive quadrature of the built-in activations without a closed
    form, cut at 0; accuracy as theirs (1e-10 relative).  Points where f is not smooth other than
    0 lower that accuracy: write such a sigma as a CLI formula with ``kinks=`` instead
    ("expr:abs(x-1);kinks=1").  f must be finite on [-12, 12].
    """
    if not callable(f):
        raise TypeError(f"f: must be a callable, got {type(f).__name__}")
    if df is not None and not callable(df):
        raise TypeError(f"df: must be a callable or None, got {type(df).__name__}")
    grid = _np.linspace(-12.0, 12.0, 241)
    try:
        values = _np.asarray(f(grid), dtype=float)
    except Exception as e:  # noqa: BLE001 - any failure of the user's function is reported as such
        raise ValueError(f"f: calling it on a numpy array failed: {e}") from None
    if values.shape != grid.shape:
        raise ValueError(f"f: must map an array of shape {grid.shape} to the same shape, got {values.shape}")
    if not _np.all(_np.isfinite(values)):
        raise ValueError(f"f: not finite at x = {grid[~_np.isfinite(values)][0]:g}")
    scalar = float(f(0.5))
    if abs(scalar - float(_np.asarray(f(_np.array([0.5])))[0])) > 1e-12 * (1 + abs(scalar)):
        raise ValueError("f: gives different values for a float and for an array")
    if name is None:
        _ACTIVATION_COUNT[0] += 1
        name = f"{getattr(f, '__name__', 'f').replace('<', '').replace('>', '')}{_ACTIVATION_COUNT[0]}"
    spec = "python:" + str(name)
    _rmtsolve._register_activation(spec, f, df)
    return spec


import atexit as _atexit

# Drop the registered callables while the interpreter can still release them.
_atexit.register(_rmtsolve._unregister_activations)


def models():
    """Every model with its parameters (default, help), outputs, simulated outputs and the meaning
    of every column of its curve/simulate/validate tables."""
    return _rmtsolve.models()


# ---- One namespace per model: rmtsolve.srf.curve(alpha=..., eta=...), with explicit keyword
# parameters and a numpy-style docstring generated from the model's own metadata, so that help(),
# tab completion and inspect.signature show what the CLI's --help shows.

import inspect as _inspect

_SOLVER_DOC = ("solver : dict, optional\n    tolerance in (0, 0.1] (default 1e-12), max_iterations in [1, 1e6] (500), "
               "damping in [0, 1) (0.5),\n    anderson in [0, 100] (5): the ranges of the CLI flags.")
_MC_DOCS = [("d", 400, "int", "input dimension of the simulated networks (sizes are ratios times d)"),
            ("seeds", 8, "int", "independent networks averaged"),
            ("n_test", 0, "int", "fresh test samples per seed (0: the model's default)"),
            ("seed", 20261123, "int", "base seed; results do not depend on the thread count"),
            ("threads", 0, "int", "worker threads (0: one per core)"),
            ("precision", "float64", "str", "'float32' computes the features in single precision (where the model supports it)")]


def _py_name(name):
    return "lambda_" if name == "lambda" else name


def _param_docs(info):
    lines = []
    for name, (default, help_text) in info["numbers"].items():
        lines.append(f"{_py_name(name)} : float, sequence or grid string 'a:b:n[:log]', default {default!r}\n    {help_text}")
    for name, (default, help_text) in info["texts"].items():
        lines.append(f"{_py_name(name)} : str, default {default!r}\n    {help_text}")
    return lines


def _columns_doc(info, kind):
    params = set(info["numbers"]) | set(info["texts"])
    rows = [(c, h) for c, h in info["columns"].get(kind, []) if c not in params]
    return "\n".join(f"{c} : {h}" for c, h in rows)


def _signature(info, extra):
    ps = [_inspect.Parameter(_py_name(n), _inspect.Parameter.KEYWORD_ONLY, default=v[0])
          for n, v in list(info["numbers"].items()) + list(info["texts"].items())]
    ps += [_inspect.Parameter(n, _inspect.Parameter.KEYWORD_ONLY, default=v) for n, v in extra]
    return _inspect.Signature(ps)


def _check_keywords(model, info, kwargs, allowed_extra):
    known = {_py_name(n) for n in list(info["numbers"]) + list(info["texts"])} | set(allowed_extra)
    for k in kwargs:
        if k not in known:
            raise TypeError(f"{k}: not a parameter of rmtsolve.{model.replace('-', '_')} "
                            f"(parameters: {', '.join(sorted(known))})")


class _ModelAPI:
    """Per-model functions: curve, simulate (and validate) with the model's own parameters."""

    def __init__(self, info):
        self._info = info
        name = info["name"]
        self.name = name
        self.__doc__ = f"{name}: {info['description']}\n\nFunctions: curve(...)" + (
            ", simulate(...), validate(...)" if info["simulated_outputs"] else "")
        curve_extra = [("solver", None), ("optimize", None), ("objective", None), ("bounds", None), ("reach", None),
                       ("over", None)]
        mc_extra = [(n, v) for n, v, _, _ in _MC_DOCS]

        def _curve(**kwargs):
            _check_keywords(name, info, kwargs, [n for n, _ in curve_extra])
            return curve(name, **kwargs)

        _curve.__name__ = _curve.__qualname__ = "curve"
        _curve.__signature__ = _signature(info, curve_extra)
        _curve.__doc__ = (f"Theory curve of {name}: {info['description']}.\n\nEvery numeric parameter takes a "
                          "number, a sequence or a grid string; the table has one row per point of the grid.\n\n"
                          "Parameters\n----------\n" + "\n".join(_param_docs(info)) + "\n" + _SOLVER_DOC +
                          "\noptimize, objective, bounds, reach, over\n    as rmtsolve.curve: optimal parameter "
                          "and sample-complexity searches.\n\nReturns\n-------\nTable\n    The parameters, then:\n"
                          + _indent(_columns_doc(info, "curve")))
        self.curve = _curve
        if not info["simulated_outputs"]:
            return

        def _simulate(**kwargs):
            _check_keywords(name, info, kwargs, [n for n, _ in mc_extra])
            return simulate(name, **kwargs)

        def _validate(**kwargs):
            _check_keywords(name, info, kwargs, [n for n, _ in mc_extra] + ["k_sigma", "rel_tol", "solver"])
            return validate(name, **kwargs)

        mc_doc = "\n".join(f"{n} : {t}, default {v!r}\n    {h}" for n, v, t, h in _MC_DOCS)
        _simulate.__name__ = _simulate.__qualname__ = "simulate"
        _simulate.__signature__ = _signature(info, mc_extra)
        _simulate.__doc__ = (f"Monte Carlo of {name}: mean and standard error over seeds of finite networks.\n\n"
                             "Parameters\n----------\n" + "\n".join(_param_docs(info)) + "\n" + mc_doc +
                             "\n\nReturns\n-------\nTable\n    The parameters, then:\n" +
                             _indent(_columns_doc(info, "simulate")))
        self.simulate = _simulate
        _validate.__name__ = _validate.__qualname__ = "validate"
        _validate.__signature__ = _signature(info, mc_extra + [("k_sigma", 3.0), ("rel_tol", None), ("solver", None)])
        _validate.__doc__ = (f"Theory and Monte Carlo of {name} side by side, with a verdict per point.\n\n"
                             "Parameters\n----------\n" + "\n".join(_param_docs(info)) + "\n" + mc_doc +
                             "\nk_sigma : float, default 3.0\n    allowed |z| in [0, 100]\n"
                             "rel_tol : float or None\n    relative allowance in [0, 1] (None: the model's "
                             "finite-size allowance)\n" + _SOLVER_DOC +
                             "\n\nReturns\n-------\nTable\n    The parameters, then:\n" +
                             _indent(_columns_doc(info, "validate")))
        self.validate = _validate

    def __call__(self, **kwargs):
        """The theory curve (same as .curve)."""
        return self.curve(**kwargs)

    def __repr__(self):
        return f"<rmtsolve model {self.name!r}: {self._info['description']}>"


def _indent(text):
    return "\n".join("    " + line for line in text.splitlines())


_MODEL_NAMES = []
for _m in _rmtsolve.models():
    _api = _ModelAPI(_m)
    _attr = _m["name"].replace("-", "_")
    if _attr == "srf_class":
        # Kept callable as before (rmtsolve.srf_class(loss=..., eta=...) is the curve).
        _api.__doc__ = srf_class.__doc__ + "\n" + _api.__doc__
    globals()[_attr] = _api
    _MODEL_NAMES.append(_attr)
del _m, _api, _attr
__all__ += [n for n in _MODEL_NAMES if n not in __all__]


def gcm_ridge(Psi, Phi, Omega, alpha, lambda_=1e-2, noise=0.0):
    """GCM ridge (teacher-averaged) on covariances given as numpy arrays.

    Psi (k x k) teacher, Phi = E[u v^T] (k x p) teacher-student, Omega (p x p) student covariance;
    alpha = n/p (a number or a sequence), lambda_ the ridge of convention A
    (docs/theory/deep.md §1.3), noise the label-noise variance.  Returns a Table with columns
    alpha, lambda, noise, test_error, train_error, converged (NaN outputs where not converged).
    """
    try:
        alphas = [float(a) for a in _np.atleast_1d(_np.asarray(alpha, dtype=float))]
    except (TypeError, ValueError):
        raise TypeError(f"alpha: must be a number or a sequence of numbers, got {type(alpha).__name__}") from None
    raw = _rmtsolve.gcm_ridge(Psi, Phi, Omega, alphas, lambda_, noise)
    n = len(alphas)
    test = _np.asarray(raw["test_error"])
    data = {"alpha": _np.asarray(raw["alpha"]), "lambda": _np.full(n, float(lambda_)),
            "noise": _np.full(n, float(noise)), "test_error": test, "train_error": _np.asarray(raw["train_error"]),
            "converged": _np.isfinite(test).astype(float), "reason": ["converged" if _np.isfinite(t) else "not converged"
                                                                        for t in test]}
    shape = _np.shape(Phi)
    table = Table({"data": data, "columns": list(data), "failed_points": int(n - _np.isfinite(test).sum()),
                   "notes": [], "metadata": {"rmtsolve": __version__, "model": "gcm_ridge"}})
    table.metadata["parameters"] = {"alpha": alphas, "lambda": float(lambda_), "noise": float(noise),
                                    "k": int(shape[0]) if len(shape) == 2 else None,
                                    "p": int(shape[1]) if len(shape) == 2 else None}
    table.metadata["command"] = f"python: rmtsolve.gcm_ridge(Psi, Phi, Omega, alpha={alphas}, lambda_={lambda_}, noise={noise})"
    bad = [i for i in range(n) if not table["converged"][i]]
    table.non_converged = [{"alpha": alphas[i], "lambda": float(lambda_), "noise": float(noise)} for i in bad]
    if bad:
        _warnings.warn(f"rmtsolve: {len(bad)} of {n} points of gcm_ridge did not converge, their outputs are NaN: "
                       + "; ".join(f"alpha={alphas[i]}" for i in bad), ConvergenceWarning, stacklevel=2)
    return table


kernels = _rmtsolve.kernels
kernel_predict = _rmtsolve.kernel_predict
