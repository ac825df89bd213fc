"""rmtsolve: learning curves of neural-network models in the proportional limit.

    import rmtsolve
    c = rmtsolve.curve("rf", activation="tanh", alpha="0.2:4:20", beta=2, lambda_=1e-2, noise=0.25)
    c["alpha"], c["test_error"]          # numpy arrays, one entry per grid point

Parameters are the CLI flags of `rmtsolve curve MODEL --help` (``lambda`` is spelt ``lambda_``).
A numeric parameter takes a number, a sequence, or a grid string ("a:b:n", "a:b:n:log", "x,y,z").
Invalid input raises ValueError naming the parameter.  Points that did not converge have NaN in
their output columns and are listed in ``curve.notes``.
"""
from . import _rmtsolve

__version__ = _rmtsolve.__version__
__all__ = ["Table", "curve", "simulate", "validate", "validate_suite", "models", "gcm_ridge", "kernels",
           "kernel_predict", "srf_class"]


class Table(dict):
    """Columns by name (numpy arrays for numbers, lists for text), plus metadata and notes."""

    def __init__(self, raw):
        super().__init__(raw["data"])
        self.columns = list(raw["columns"])
        self.metadata = dict(raw["metadata"])
        self.failed_points = int(raw["failed_points"])
        self.notes = list(raw["notes"])

    def __repr__(self):
        rows = len(next(iter(self.values()))) if self else 0
        return f"<rmtsolve.Table {self.metadata.get('model', '')}: {rows} rows, columns {self.columns}>"


def _params(params):
    return {("lambda" if k == "lambda_" else k): v for k, v in params.items()}


def curve(model, solver=None, **params):
    """Theory learning curve of `model` over the given parameters."""
    return Table(_rmtsolve.curve(model, _params(params), solver or {}))


def simulate(model, d=400, seeds=8, n_test=0, seed=20261123, threads=0, precision="float64", **params):
    """Monte Carlo table: mean and standard error over `seeds` simulated networks of input dimension d.
    precision="float32" computes the features in single precision (models rf and deep)."""
    return Table(_rmtsolve.simulate(model, _params(params), d, seeds, n_test, seed, threads, precision))


def validate(model, d=400, seeds=8, n_test=0, seed=20261123, threads=0, k_sigma=3.0, rel_tol=-1.0,
             solver=None, precision="float64", **params):
    """Theory and Monte Carlo side by side with a PASS/FAIL verdict per point."""
    return Table(_rmtsolve.validate(model, _params(params), solver or {}, d, seeds, n_test, seed, threads,
                                    k_sigma, rel_tol, precision))


def validate_suite(path, reduced=False):
    """Runs a validation suite file (validation/*.json)."""
    return Table(_rmtsolve.validate_suite(path, reduced))


def srf_class(solver=None, **params):
    """Classification after one gradient step (model ``srf-class``): logistic, hinge or square-loss
    readout on the spiked random features of a two-layer network after one large step.

        t = rmtsolve.srf_class(loss="logistic", eta="0:4:9", alpha=2)
        t["eta"], t["classification_error"]
    """
    return curve("srf-class", solver=solver, **params)


def models():
    """Every model with its parameters (default, help), outputs and simulated outputs."""
    return _rmtsolve.models()


gcm_ridge = _rmtsolve.gcm_ridge
kernels = _rmtsolve.kernels
kernel_predict = _rmtsolve.kernel_predict
