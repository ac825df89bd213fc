// Python bindings: the sweep API (curve / simulate / validate / suites) of every model, and the GCM
// ridge on covariances given as numpy arrays.  Tables come back as dicts of numpy arrays.
#include <csignal>
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "equations/gcm_ridge/gcm_ridge.hpp"
#include "equations/kernels/predict.hpp"
#include "rmtsolve/core/blas_kernel.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/grid.hpp"
#include "rmtsolve/io/provenance.hpp"
#include "rmtsolve/engine/options.hpp"
#include "rmtsolve/engine/suite.hpp"
#include "rmtsolve/engine/sweep.hpp"

namespace py = pybind11;
using namespace rmtsolve;

namespace {

// Python spelling of an option named in flag spelling by the shared checks (max-iterations →
// max_iterations), so that the ValueError names the argument the caller wrote.
template <class F>
void python_names(F&& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    std::string name = e.parameter();
    std::replace(name.begin(), name.end(), '-', '_');
    throw InvalidInput(name, std::string(e.what()).substr(e.parameter().empty() ? 0 : e.parameter().size() + 2));
  }
}

std::string type_name(const py::handle& v) { return py::str(v.get_type().attr("__name__")); }

// Scalars: a wrong type is a TypeError naming the argument (pybind11's own message names none).
double as_double(const py::handle& v, const std::string& name) {
  const bool real = (py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v) || py::hasattr(v, "__float__")) &&
                    !py::isinstance<py::bool_>(v) && !py::isinstance<py::str>(v) && !py::isinstance<py::bytes>(v) &&
                    !py::module_::import("numpy").attr("iscomplexobj")(v).cast<bool>();
  if (!real) throw py::type_error(name + ": must be a real number, got " + type_name(v));
  try {
    return v.cast<double>();
  } catch (const py::cast_error&) {
    throw py::type_error(name + ": must be a real number, got " + type_name(v));
  }
}
// Integers: range-checked as Python integers before any conversion to int.
int as_int(const py::handle& v, const std::string& name, long long lo, long long hi) {
  if (py::isinstance<py::bool_>(v) || !py::isinstance<py::int_>(v))
    throw py::type_error(name + ": must be an integer, got " + type_name(v));
  const py::int_ i = py::reinterpret_borrow<py::int_>(v);
  if (py::int_(lo).attr("__gt__")(i).cast<bool>() || i.attr("__gt__")(py::int_(hi)).cast<bool>())
    throw InvalidInput(name, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                                 std::string(py::str(py::handle(i))).substr(0, 60));
  return i.cast<int>();
}
std::string as_text(const py::handle& v, const std::string& name) {
  if (!py::isinstance<py::str>(v)) throw py::type_error(name + ": must be a string, got " + type_name(v));
  return v.cast<std::string>();
}
// A real 2-D array (numbers only: complex, object, bytes refused) with no empty dimension.
Eigen::MatrixXd as_matrix(const py::handle& v, const std::string& name) {
  py::array a;
  try {
    a = py::module_::import("numpy").attr("asarray")(v);
  } catch (const py::error_already_set&) {
    throw py::type_error(name + ": must be a 2-D array of real numbers, got " + type_name(v));
  }
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u')
    throw py::type_error(name + ": must be a 2-D array of real numbers, got " + type_name(v) + " of dtype " +
                         std::string(py::str(a.dtype())));
  if (a.ndim() != 2) throw InvalidInput(name, "must be a 2-D array, got " + std::to_string(a.ndim()) + " dimensions");
  if (a.shape(0) == 0 || a.shape(1) == 0) throw InvalidInput(name, "must not be empty");
  const auto d = py::array_t<double, py::array::f_style | py::array::forcecast>::ensure(a);
  Eigen::MatrixXd m = Eigen::Map<const Eigen::MatrixXd>(d.data(), d.shape(0), d.shape(1));
  if (!m.allFinite()) throw InvalidInput(name, "must be finite");
  return m;
}
std::vector<double> as_vector(const py::handle& v, const std::string& name) {
  if (py::isinstance<py::str>(v) || py::isinstance<py::bytes>(v) || py::isinstance<py::dict>(v) || v.is_none())
    throw py::type_error(name + ": must be a number or a 1-D sequence of numbers, got " + type_name(v));
  if (!py::isinstance<py::sequence>(v) && !py::isinstance<py::array>(v)) return {as_double(v, name)};
  py::array a;
  try {
    a = py::module_::import("numpy").attr("asarray")(v);
  } catch (const py::error_already_set&) {
    throw py::type_error(name + ": must be a 1-D sequence of real numbers");
  }
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u')
    throw py::type_error(name + ": must hold real numbers, got dtype " + std::string(py::str(a.dtype())));
  if (a.ndim() == 0) return {a.attr("item")().cast<double>()};
  if (a.ndim() != 1) throw InvalidInput(name, "must be 1-D, got " + std::to_string(a.ndim()) + " dimensions");
  return a.attr("astype")("float64").cast<std::vector<double>>();
}

// Model parameters from Python: numbers, sequences (grids) or strings (grid syntax / text).
SweepSpec sweep_spec(const Model& model, const py::dict& params) {
  SweepSpec spec;
  for (const auto& [key, value] : params) {
    const std::string name = py::str(key);
    bool numeric = false, text = false;
    for (const auto& p : model.numbers()) numeric |= p.name == name;
    for (const auto& p : model.texts()) text |= p.name == name;
    if (!numeric && !text) throw rmtsolve::InvalidInput(name, "not a parameter of model " + model.name());
    if (text) {
      spec.texts[name] = as_text(value, name);
    } else if (py::isinstance<py::str>(value)) {
      spec.grids[name] = parse_grid(value.cast<std::string>(), name);
    } else {
      spec.grids[name] = as_vector(value, name);
    }
  }
  return spec;
}

// The same ranges as the CLI flags and config files (rmtsolve/engine/options.hpp).
SolverOptions solver_options(const py::handle& solver) {
  if (solver.is_none()) return {};
  if (!py::isinstance<py::dict>(solver)) throw py::type_error("solver: must be a dict of solver options, got " + type_name(solver));
  SolverOptions o;
  for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(solver)) {
    const std::string k = py::str(key);
    if (k == "tolerance") o.tolerance = as_double(value, k);
    else if (k == "max_iterations") o.max_iterations = as_int(value, k, 1, OptionLimits::kMaxIterations);
    else if (k == "damping") o.damping = as_double(value, k);
    else if (k == "anderson") o.anderson_memory = as_int(value, k, 0, OptionLimits::kMaxAnderson);
    else throw rmtsolve::InvalidInput(k, "unknown solver option (tolerance, max_iterations, damping, anderson)");
  }
  python_names([&] { check_solver_options(o); });
  return o;
}

SimulationOptions simulation_options(const py::handle& d, const py::handle& seeds, const py::handle& n_test,
                                     const py::handle& seed, const py::handle& threads, const py::handle& precision_arg) {
  const std::string precision = as_text(precision_arg, "precision");
  if (precision != "float64" && precision != "float32")
    throw rmtsolve::InvalidInput("precision", "must be float64 or float32, got '" + precision.substr(0, 60) + "'");
  SimulationOptions o;
  o.single_precision = precision == "float32";
  o.d = as_int(d, "d", 1, OptionLimits::kMaxD);
  o.seeds.seeds = as_int(seeds, "seeds", 1, OptionLimits::kMaxSeeds);
  o.n_test = as_int(n_test, "n_test", 0, OptionLimits::kMaxNTest);
  o.seeds.threads = as_int(threads, "threads", 0, OptionLimits::kMaxThreads);
  if (py::isinstance<py::bool_>(seed) || !py::isinstance<py::int_>(seed))
    throw py::type_error("seed: must be an integer, got " + type_name(seed));
  // Explicitly in [0, 2^64): -1 and 2^64 must not both wrap onto the same stream.
  const py::int_ s = py::reinterpret_borrow<py::int_>(seed);
  if (py::int_(0).attr("__gt__")(s).cast<bool>() || s.attr("bit_length")().cast<int>() > 64)
    throw InvalidInput("seed", "must be in [0, 2^64)");
  o.seeds.base_seed = s.cast<std::uint64_t>();
  python_names([&] { check_simulation_options(o); });
  return o;
}

// Ctrl-C while a sweep runs without the GIL: Python's own handler would only set a flag that
// nobody reads until the sweep ends.  For the duration of the call SIGINT instead asks the sweep
// to stop after the point (or seed) under way, exactly as in the CLI; the finished rows come back
// marked "interrupted" and the Python layer raises rmtsolve.Interrupted carrying them.
class InterruptScope {
 public:
  InterruptScope() {
    clear_interrupt();
    struct sigaction sa {};
    sa.sa_handler = [](int) { request_interrupt(); };
    sigemptyset(&sa.sa_mask);
    installed_ = sigaction(SIGINT, &sa, &old_) == 0;
  }
  ~InterruptScope() {
    if (installed_) sigaction(SIGINT, &old_, nullptr);
    clear_interrupt();
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction old_ {};
  bool installed_ = false;
};

// Runs a sweep without the GIL; an allocation failure becomes a MemoryError naming the model.
template <class F>
SweepOutcome run_released(const Model& model, F&& run) {
  try {
    InterruptScope interrupts;
    py::gil_scoped_release release;
    return run();
  } catch (const std::bad_alloc&) {
    PyErr_SetString(PyExc_MemoryError, ("model " + model.name() + ": out of memory; reduce d, seeds, n_test or the grid").c_str());
    throw py::error_already_set();
  }
}

py::dict to_python(const SweepOutcome& out) {
  const Table& t = out.table;
  py::dict data;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    bool numeric = true;
    for (const auto& row : t.rows) numeric &= std::holds_alternative<double>(row[c]);
    if (numeric) {
      py::array_t<double> a(static_cast<py::ssize_t>(t.rows.size()));
      auto v = a.mutable_unchecked<1>();
      for (size_t r = 0; r < t.rows.size(); ++r) v(static_cast<py::ssize_t>(r)) = std::get<double>(t.rows[r][c]);
      data[py::str(t.columns[c])] = a;
    } else {
      py::list l;
      for (const auto& row : t.rows)
        l.append(std::holds_alternative<double>(row[c]) ? py::str(std::to_string(std::get<double>(row[c])))
                                                         : py::str(std::get<std::string>(row[c])));
      data[py::str(t.columns[c])] = l;
    }
  }
  py::dict meta;
  for (const auto& [k, v] : t.metadata) meta[py::str(k)] = v;
  for (const auto& [k, v] : rmtsolve::run_provenance(-1)) meta[py::str(k)] = v;
  py::dict result;
  result["columns"] = t.columns;
  result["data"] = data;
  result["metadata"] = meta;
  result["failed_points"] = out.failed_points;
  result["notes"] = out.notes;
  return result;
}

}  // namespace

kernels::Architecture network_of(const std::string& activation, int depth, double w_std, double b_std,
                                 const std::string& parametrisation) {
  if (depth < 1) throw InvalidInput("depth", "needs at least one hidden layer");
  return kernels::Architecture::fully_connected(kernels::make_dual(activation, "activation"), depth, w_std, b_std,
                                                kernels::parse_parametrisation(parametrisation));
}

PYBIND11_MODULE(_rmtsolve, m) {
  m.doc() = "rmtsolve: proportional-limit learning curves and their Monte Carlo checks";
  m.attr("__version__") = RMTSOLVE_VERSION;
  m.attr("_pybind11_version") = RMTSOLVE_PYBIND11_VERSION;  // see rmtsolve/__init__.py: numpy 2 needs >= 2.12

  py::class_<SearchSpec>(m, "SearchSpec")
      .def(py::init<>())
      .def_readwrite("optimize", &SearchSpec::optimize)
      .def_readwrite("objective", &SearchSpec::objective)
      .def_readwrite("bounds", &SearchSpec::bounds)
      .def_readwrite("reach", &SearchSpec::reach)
      .def_readwrite("over", &SearchSpec::over);

  m.def("models", [] {
    py::list out;
    for (const auto& model : models()) {
      py::dict d;
      d["name"] = model->name();
      d["description"] = model->description();
      py::dict numbers, texts;
      for (const auto& p : model->numbers()) numbers[py::str(p.name)] = py::make_tuple(p.default_value, p.help);
      for (const auto& p : model->texts()) texts[py::str(p.name)] = py::make_tuple(p.default_value, p.help);
      d["numbers"] = numbers;
      d["texts"] = texts;
      d["outputs"] = model->outputs();
      d["simulated_outputs"] = model->simulated_outputs();
      // Every column of each table kind with its meaning (the CLI's --help lists the same).
      py::dict columns;
      for (const char* kind : {"curve", "simulate", "validate"}) {
        if (std::string(kind) != "curve" && model->simulated_outputs().empty()) continue;
        py::list list;
        for (const auto& c : table_columns(*model, kind)) list.append(py::make_tuple(c, column_help(*model, c)));
        columns[kind] = list;
      }
      d["columns"] = columns;
      out.append(d);
    }
    return out;
  });

  // A Python callable as an activation: σ(x) for a float, and σ over a whole buffer in one call
  // (the Monte Carlo's feature matrices) through a numpy view of it.  Called from sweeps that run
  // without the GIL, possibly from several seed threads: every call takes the GIL.
  // "TypeName: message", without pybind's traceback lines (errors are one line).
  static const auto one_line = [](const py::error_already_set& e) {
    return std::string(py::str(e.type().attr("__name__"))) + ": " + std::string(py::str(e.value()));
  };
  m.def("_register_activation", [](const std::string& name, const py::object& f, const py::object& df) {
    auto hold = [](const py::object& o) {
      return std::shared_ptr<py::object>(new py::object(o), [](py::object* p) {
        if (Py_IsInitialized()) {
          py::gil_scoped_acquire gil;
          delete p;
        }  // after finalisation the reference is left to the process exit
      });
    };
    auto call = [name](const std::shared_ptr<py::object>& fn, double x) {
      py::gil_scoped_acquire gil;
      try {
        return (*fn)(x).cast<double>();
      } catch (py::error_already_set& e) {
        throw InvalidInput("activation", "the Python function " + name + " raised " + one_line(e));
      } catch (const py::cast_error&) {
        throw InvalidInput("activation", "the Python function " + name + " did not return a number");
      }
    };
    Activation a;
    const auto fn = hold(f);
    a.f = [fn, call](double x) { return call(fn, x); };
    a.apply_inplace = [fn, name](double* data, long size) {
      py::gil_scoped_acquire gil;
      try {
        py::array_t<double> view(size, data, py::capsule(data, [](void*) {}));
        const auto out = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure((*fn)(view));
        if (!out || out.size() != size)
          throw InvalidInput("activation", "the Python function " + name + " must map an array to an array of the same size");
        std::copy(out.data(), out.data() + size, data);
      } catch (py::error_already_set& e) {
        throw InvalidInput("activation", "the Python function " + name + " raised " + one_line(e));
      }
    };
    if (!df.is_none()) {
      const auto dfn = hold(df);
      a.df = [dfn, call](double x) { return call(dfn, x); };
    }
    python_names([&] { register_activation(name, a); });
  });
  m.def("_unregister_activations", [] { unregister_activations("python:"); });

  m.def("_blas_advice", [] {
    const blas::Advice a = blas::advice();
    py::dict d;
    d["kernel"] = a.current;
    d["recommended"] = a.recommended;
    d["reason"] = a.reason;
    d["describe"] = blas::describe();
    return d;
  });

  m.def("solver_defaults", [] {
    const SolverOptions o;
    py::dict d;
    d["tolerance"] = o.tolerance;
    d["max_iterations"] = o.max_iterations;
    d["damping"] = o.damping;
    d["anderson"] = o.anderson_memory;
    return d;
  });

  m.def("curve", [](const std::string& name, const py::dict& params, const py::object& solver, const SearchSpec& search) {
    const Model& model = find_model(name);
    const SweepSpec spec = sweep_spec(model, params);
    const SolverOptions o = solver_options(solver);
    SweepOutcome out = run_released(model, [&] { return run_curve(model, spec, o, search); });
    out.table.metadata.emplace_back("command", "python: rmtsolve.curve");
    return to_python(out);
  }, py::arg("model"), py::arg("params"), py::arg("solver") = py::dict(), py::arg("search") = SearchSpec{});

  m.def("simulate", [](const std::string& name, const py::dict& params, const py::object& d, const py::object& seeds,
                       const py::object& n_test, const py::object& seed, const py::object& threads,
                       const py::object& precision) {
    const Model& model = find_model(name);
    const SweepSpec spec = sweep_spec(model, params);
    const SimulationOptions o = simulation_options(d, seeds, n_test, seed, threads, precision);
    SweepOutcome out = run_released(model, [&] { return run_simulation(model, spec, o); });
    return to_python(out);
  }, py::arg("model"), py::arg("params"), py::arg("d") = 400, py::arg("seeds") = 8, py::arg("n_test") = 0,
     py::arg("seed") = 20261123, py::arg("threads") = 0, py::arg("precision") = "float64");

  m.def("validate", [](const std::string& name, const py::dict& params, const py::object& solver, const py::object& d,
                       const py::object& seeds, const py::object& n_test, const py::object& seed,
                       const py::object& threads, const py::object& k_sigma_arg, const py::object& rel_tol_arg,
                       const py::object& precision) {
    const Model& model = find_model(name);
    const SweepSpec spec = sweep_spec(model, params);
    const SolverOptions so = solver_options(solver);
    const SimulationOptions o = simulation_options(d, seeds, n_test, seed, threads, precision);
    // None: the model's finite-size allowance; a number is held to the --rel-tol range.
    const double k_sigma = as_double(k_sigma_arg, "k_sigma");
    const double rel_tol = rel_tol_arg.is_none() ? -1.0 : as_double(rel_tol_arg, "rel_tol");
    python_names([&] {
      check_verdict_options({k_sigma, rel_tol});
      if (!rel_tol_arg.is_none()) check_rel_tol(rel_tol);
    });
    SweepOutcome out = run_released(model, [&] { return run_validation(model, spec, so, o, {k_sigma, rel_tol}); });
    return to_python(out);
  }, py::arg("model"), py::arg("params"), py::arg("solver") = py::dict(), py::arg("d") = 400, py::arg("seeds") = 8,
     py::arg("n_test") = 0, py::arg("seed") = 20261123, py::arg("threads") = 0, py::arg("k_sigma") = 3.0,
     py::arg("rel_tol") = py::none(), py::arg("precision") = "float64");

  m.def("validate_suite", [](const std::string& path, bool reduced) {
    const Suite suite = load_suite(path);
    const Model& model = find_model(suite.model);
    SweepOutcome all;
    py::gil_scoped_release release;
    for (const SweepSpec& run : suite.runs) {
      SweepOutcome out = run_validation(model, run, {}, reduced ? suite.reduced : suite.full, suite.tolerance);
      if (all.table.columns.empty()) all.table = out.table;
      else all.table.rows.insert(all.table.rows.end(), out.table.rows.begin(), out.table.rows.end());
      all.failed_points += out.failed_points;
    }
    py::gil_scoped_acquire acquire;
    return to_python(all);
  }, py::arg("path"), py::arg("reduced") = false);

  m.def("gcm_ridge", [](const py::object& Psi_arg, const py::object& Phi_arg, const py::object& Omega_arg,
                        const py::object& alpha_arg, const py::object& lambda_arg, const py::object& noise_arg) {
    const Eigen::MatrixXd Psi = as_matrix(Psi_arg, "Psi"), Phi = as_matrix(Phi_arg, "Phi"), Omega = as_matrix(Omega_arg, "Omega");
    if (Psi.rows() != Psi.cols()) throw InvalidInput("Psi", "must be square (k x k)");
    if (Omega.rows() != Omega.cols()) throw InvalidInput("Omega", "must be square (p x p)");
    if (Phi.rows() != Psi.rows() || Phi.cols() != Omega.rows())
      throw InvalidInput("Phi", "must be k x p = " + std::to_string(Psi.rows()) + " x " + std::to_string(Omega.rows()));
    const std::vector<double> alpha = as_vector(alpha_arg, "alpha");
    const double lambda = as_double(lambda_arg, "lambda_"), noise = as_double(noise_arg, "noise");
    for (double a : alpha)
      if (!(a > 0.0) || !std::isfinite(a)) throw InvalidInput("alpha", "must be positive and finite");
    if (!(lambda >= 0.0) || !std::isfinite(lambda)) throw InvalidInput("lambda_", "must be non-negative and finite");
    if (!(noise >= 0.0) || !std::isfinite(noise)) throw InvalidInput("noise", "must be non-negative and finite");
    gcm_ridge::Problem problem;
    python_names([&] {
      try {
        problem = gcm_ridge::Problem::from_covariances({Psi, Phi, Omega});
      } catch (const InvalidInput& e) {  // the covariance reader names them in flag spelling
        const std::string p = e.parameter() == "psi" ? "Psi" : e.parameter() == "phi" ? "Phi" : e.parameter() == "omega" ? "Omega" : e.parameter();
        throw InvalidInput(p, std::string(e.what()).substr(e.parameter().empty() ? 0 : e.parameter().size() + 2));
      }
    });
    std::vector<double> test, train;
    for (double a : alpha) {
      const auto r = gcm_ridge::solve(problem, {a, lambda, noise}, gcm_ridge::Method::kRoot, {});
      test.push_back(r.summary.converged ? r.test_error : std::nan(""));
      train.push_back(r.summary.converged ? r.train_error : std::nan(""));
    }
    py::dict d;
    d["alpha"] = py::array_t<double>(static_cast<py::ssize_t>(alpha.size()), alpha.data());
    d["test_error"] = py::array_t<double>(static_cast<py::ssize_t>(test.size()), test.data());
    d["train_error"] = py::array_t<double>(static_cast<py::ssize_t>(train.size()), train.data());
    return d;
  }, py::arg("Psi"), py::arg("Phi"), py::arg("Omega"), py::arg("alpha"), py::arg("lambda_") = 1e-2,
     py::arg("noise") = 0.0,
     "GCM ridge (teacher-averaged) on covariances Psi (k x k), Phi = E[u v^T] (k x p), Omega (p x p); alpha = n/p.");

  m.def("kernels", [](const py::object& X1_arg, const py::object& X2_arg, const py::object& activation,
                      const py::object& depth, const py::object& w_std, const py::object& b_std,
                      const py::object& parametrisation) {
    const Eigen::MatrixXd X1 = as_matrix(X1_arg, "X1");
    const std::optional<Eigen::MatrixXd> X2 =
        X2_arg.is_none() ? std::nullopt : std::optional<Eigen::MatrixXd>(as_matrix(X2_arg, "X2"));
    if (X2 && X2->cols() != X1.cols()) throw InvalidInput("X2", "must have as many columns as X1");
    const auto arch = network_of(as_text(activation, "activation"), as_int(depth, "depth", 1, 1000),
                                 as_double(w_std, "w_std"), as_double(b_std, "b_std"),
                                 as_text(parametrisation, "parametrisation"));
    const kernels::KernelPair k = [&] {
      py::gil_scoped_release release;  // other Python threads run meanwhile
      return X2 ? kernels::nngp_ntk(arch, X1, *X2) : kernels::nngp_ntk(arch, X1);
    }();
    py::dict d;
    d["nngp"] = k.nngp;
    d["ntk"] = k.ntk;
    return d;
  }, py::arg("X1"), py::arg("X2") = py::none(), py::arg("activation") = "relu", py::arg("depth") = 1,
     py::arg("w_std") = 1.0, py::arg("b_std") = 0.0, py::arg("parametrisation") = "ntk",
     "Infinite-width NNGP and NTK between the rows of X1 and X2 (or X1 with itself); inputs enter as x.x'/d.");

  m.def("kernel_predict", [](const py::object& X_train_arg, const py::object& y_train_arg, const py::object& X_test_arg,
                             const py::object& activation, const py::object& depth, const py::object& w_std,
                             const py::object& b_std, const py::object& kernel_arg, const py::object& times_arg,
                             const py::object& ridge_arg, const py::object& learning_rate_arg) {
    const Eigen::MatrixXd X_train = as_matrix(X_train_arg, "X_train"), X_test = as_matrix(X_test_arg, "X_test");
    // y_train: one label per row (n,) or several outputs per row (n, k), as neural-tangents' predict.
    const bool multi = py::module_::import("numpy").attr("ndim")(y_train_arg).cast<int>() == 2;
    const Eigen::MatrixXd Y = multi ? as_matrix(y_train_arg, "y_train") : [&] {
      const std::vector<double> labels = as_vector(y_train_arg, "y_train");
      return Eigen::MatrixXd(Eigen::Map<const Eigen::VectorXd>(labels.data(), static_cast<Eigen::Index>(labels.size())));
    }();
    const std::string kernel = as_text(kernel_arg, "kernel");
    const std::optional<std::vector<double>> times =
        times_arg.is_none() ? std::nullopt : std::optional<std::vector<double>>(as_vector(times_arg, "times"));
    const double ridge = as_double(ridge_arg, "ridge"), learning_rate = as_double(learning_rate_arg, "learning_rate");
    if (kernel != "ntk" && kernel != "nngp") throw InvalidInput("kernel", "must be ntk or nngp, got '" + kernel.substr(0, 60) + "'");
    if (Y.rows() != X_train.rows()) throw InvalidInput("y_train", "needs one label (row) per row of X_train");
    if (Y.cols() == 0) throw InvalidInput("y_train", "needs at least one output column");
    if (X_test.cols() != X_train.cols()) throw InvalidInput("X_test", "must have as many columns as X_train");
    const auto arch = network_of(as_text(activation, "activation"), as_int(depth, "depth", 1, 1000),
                                 as_double(w_std, "w_std"), as_double(b_std, "b_std"), "ntk");
    const auto mode = kernel == "ntk" ? kernels::KernelMode::kNtk : kernels::KernelMode::kNngp;
    kernels::PredictionOptions options;
    options.ridge = ridge;
    options.learning_rate = learning_rate;
    const kernels::Prediction p = [&] {
      py::gil_scoped_release release;
      const kernels::KernelBlocks blocks = kernels::kernel_blocks(arch, X_train, X_test);
      return times ? kernels::predict_gd_mse(mode, blocks, Y, *times, options) : kernels::predict_gp(mode, blocks, Y, options);
    }();
    if (!p.summary.converged) throw InvalidInput("kernel", "prediction failed: " + p.summary.message);
    // Stacked arrays with a leading time axis (one entry when converged): mean (T, n_test) for
    // a label vector, (T, n_test, k) for k outputs; covariance (T, n_test, n_test), shared by the outputs.
    const py::ssize_t T = static_cast<py::ssize_t>(p.mean.size()), m = X_test.rows(), k = Y.cols();
    py::array_t<double> mean(multi ? std::vector<py::ssize_t>{T, m, k} : std::vector<py::ssize_t>{T, m});
    double* out = mean.mutable_data();
    for (py::ssize_t t = 0; t < T; ++t)
      for (py::ssize_t i = 0; i < m; ++i)
        for (py::ssize_t j = 0; j < k; ++j) *out++ = p.mean[static_cast<size_t>(t)](i, j);
    py::array_t<double> covariance(std::vector<py::ssize_t>{static_cast<py::ssize_t>(p.covariance.size()), m, m});
    double* c = covariance.mutable_data();
    for (const auto& cov : p.covariance)
      for (py::ssize_t i = 0; i < m; ++i)
        for (py::ssize_t j = 0; j < m; ++j) *c++ = cov(i, j);
    py::dict d;
    d["times"] = py::array_t<double>(static_cast<py::ssize_t>(p.times.size()), p.times.data());
    d["mean"] = mean;
    d["covariance"] = covariance;
    d["condition_number"] = p.condition_number;
    d["eta_max"] = p.eta_max;
    d["summary"] = p.summary.brief();
    return d;
  }, py::arg("X_train"), py::arg("y_train"), py::arg("X_test"), py::arg("activation") = "relu", py::arg("depth") = 1,
     py::arg("w_std") = 1.0, py::arg("b_std") = 0.0, py::arg("kernel") = "ntk", py::arg("times") = py::none(),
     py::arg("ridge") = 0.0, py::arg("learning_rate") = 1.0,
     "Mean (and covariance) of the infinite ensemble trained by gradient flow on 1/(2n) sum (f - y)^2 with the NTK\n"
     "(kernel='ntk') or the readout only (kernel='nngp'), at the given times (t = learning rate x steps), or, with\n"
     "times=None, converged with a ridge (GP posterior / kernel ridge regression).\n"
     "y_train is (n,) or (n, k) for k outputs.  Returns a dict: times (T,), mean (T, n_test) or (T, n_test, k),\n"
     "covariance (T, n_test, n_test), condition_number, eta_max, summary.  The loss is normalised by y_train.size\n"
     "(as neural-tangents), so with k outputs the flow at time t is each single output's flow at t/k.");
}
