// Python bindings: the sweep API (curve / simulate / validate / suites) of every model, and the GCM
// ridge on covariances given as numpy arrays.  Tables come back as dicts of numpy arrays.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <optional>

#include "equations/gcm_ridge/gcm_ridge.hpp"
#include "equations/kernels/predict.hpp"
#include "rmtsolve/error.hpp"
#include "rmtsolve/grid.hpp"
#include "rmtsolve/provenance.hpp"
#include "rmtsolve/suite.hpp"
#include "rmtsolve/sweep.hpp"

namespace py = pybind11;
using namespace rmtsolve;

namespace {

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
      spec.texts[name] = py::str(value);
    } else if (py::isinstance<py::str>(value)) {
      spec.grids[name] = parse_grid(value.cast<std::string>(), name);
    } else if (py::isinstance<py::sequence>(value) || py::isinstance<py::array>(value)) {
      spec.grids[name] = value.cast<std::vector<double>>();
    } else {
      spec.grids[name] = {value.cast<double>()};
    }
  }
  return spec;
}

SolverOptions solver_options(const py::dict& d) {
  SolverOptions o;
  for (const auto& [key, value] : d) {
    const std::string k = py::str(key);
    if (k == "tolerance") o.tolerance = value.cast<double>();
    else if (k == "max_iterations") o.max_iterations = value.cast<int>();
    else if (k == "damping") o.damping = value.cast<double>();
    else if (k == "anderson") o.anderson_memory = value.cast<int>();
    else throw rmtsolve::InvalidInput(k, "unknown solver option (tolerance, max_iterations, damping, anderson)");
  }
  return o;
}

SimulationOptions simulation_options(int d, int seeds, int n_test, std::uint64_t seed, int threads,
                                     const std::string& precision) {
  if (precision != "float64" && precision != "float32")
    throw rmtsolve::InvalidInput("precision", "must be float64 or float32, got '" + precision + "'");
  SimulationOptions o;
  o.single_precision = precision == "float32";
  o.d = d;
  o.seeds.seeds = seeds;
  o.n_test = n_test;
  o.seeds.base_seed = seed;
  o.seeds.threads = threads;
  if (d < 1 || seeds < 1 || n_test < 0 || threads < 0) throw rmtsolve::InvalidInput("simulation", "d, seeds ≥ 1; n_test, threads ≥ 0");
  return o;
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
      out.append(d);
    }
    return out;
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

  m.def("curve", [](const std::string& name, const py::dict& params, const py::dict& solver, const SearchSpec& search) {
    const Model& model = find_model(name);
    const SweepSpec spec = sweep_spec(model, params);
    const SolverOptions o = solver_options(solver);
    SweepOutcome out;
    {
      py::gil_scoped_release release;
      out = run_curve(model, spec, o, search);
    }
    out.table.metadata.emplace_back("command", "python: rmtsolve.curve");
    return to_python(out);
  }, py::arg("model"), py::arg("params"), py::arg("solver") = py::dict(), py::arg("search") = SearchSpec{});

  m.def("simulate", [](const std::string& name, const py::dict& params, int d, int seeds, int n_test,
                       std::uint64_t seed, int threads, const std::string& precision) {
    const Model& model = find_model(name);
    const SweepSpec spec = sweep_spec(model, params);
    const SimulationOptions o = simulation_options(d, seeds, n_test, seed, threads, precision);
    SweepOutcome out;
    {
      py::gil_scoped_release release;
      out = run_simulation(model, spec, o);
    }
    return to_python(out);
  }, py::arg("model"), py::arg("params"), py::arg("d") = 400, py::arg("seeds") = 8, py::arg("n_test") = 0,
     py::arg("seed") = 20261123, py::arg("threads") = 0, py::arg("precision") = "float64");

  m.def("validate", [](const std::string& name, const py::dict& params, const py::dict& solver, int d, int seeds,
                       int n_test, std::uint64_t seed, int threads, double k_sigma, double rel_tol,
                       const std::string& precision) {
    const Model& model = find_model(name);
    const SweepSpec spec = sweep_spec(model, params);
    const SolverOptions so = solver_options(solver);
    const SimulationOptions o = simulation_options(d, seeds, n_test, seed, threads, precision);
    SweepOutcome out;
    {
      py::gil_scoped_release release;
      out = run_validation(model, spec, so, o, {k_sigma, rel_tol});
    }
    return to_python(out);
  }, py::arg("model"), py::arg("params"), py::arg("solver") = py::dict(), py::arg("d") = 400, py::arg("seeds") = 8,
     py::arg("n_test") = 0, py::arg("seed") = 20261123, py::arg("threads") = 0, py::arg("k_sigma") = 3.0,
     py::arg("rel_tol") = -1.0, py::arg("precision") = "float64");

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

  m.def("gcm_ridge", [](const Eigen::MatrixXd& Psi, const Eigen::MatrixXd& Phi, const Eigen::MatrixXd& Omega,
                        const std::vector<double>& alpha, double lambda, double noise) {
    const auto problem = gcm_ridge::Problem::from_covariances({Psi, Phi, Omega});
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

  m.def("kernels", [](const Eigen::MatrixXd& X1, std::optional<Eigen::MatrixXd> X2, const std::string& activation,
                      int depth, double w_std, double b_std, const std::string& parametrisation) {
    const auto arch = network_of(activation, depth, w_std, b_std, parametrisation);
    const kernels::KernelPair k = X2 ? kernels::nngp_ntk(arch, X1, *X2) : kernels::nngp_ntk(arch, X1);
    py::dict d;
    d["nngp"] = k.nngp;
    d["ntk"] = k.ntk;
    return d;
  }, py::arg("X1"), py::arg("X2") = py::none(), py::arg("activation") = "relu", py::arg("depth") = 1,
     py::arg("w_std") = 1.0, py::arg("b_std") = 0.0, py::arg("parametrisation") = "ntk",
     "Infinite-width NNGP and NTK between the rows of X1 and X2 (or X1 with itself); inputs enter as x.x'/d.");

  m.def("kernel_predict", [](const Eigen::MatrixXd& X_train, const Eigen::VectorXd& y_train, const Eigen::MatrixXd& X_test,
                             const std::string& activation, int depth, double w_std, double b_std,
                             const std::string& kernel, std::optional<std::vector<double>> times, double ridge,
                             double learning_rate) {
    if (kernel != "ntk" && kernel != "nngp") throw InvalidInput("kernel", "must be ntk or nngp, got '" + kernel + "'");
    if (y_train.size() != X_train.rows()) throw InvalidInput("y_train", "needs one label per row of X_train");
    const auto arch = network_of(activation, depth, w_std, b_std, "ntk");
    const kernels::KernelBlocks blocks = kernels::kernel_blocks(arch, X_train, X_test);
    const auto mode = kernel == "ntk" ? kernels::KernelMode::kNtk : kernels::KernelMode::kNngp;
    kernels::PredictionOptions options;
    options.ridge = ridge;
    options.learning_rate = learning_rate;
    const Eigen::MatrixXd Y = y_train;
    const kernels::Prediction p = times ? kernels::predict_gd_mse(mode, blocks, Y, *times, options)
                                        : kernels::predict_gp(mode, blocks, Y, options);
    if (!p.summary.converged) throw InvalidInput("kernel", "prediction failed: " + p.summary.message);
    py::dict d;
    py::list means, covariances;
    for (const auto& mean : p.mean) means.append(Eigen::VectorXd(mean.col(0)));
    for (const auto& cov : p.covariance) covariances.append(cov);
    d["times"] = p.times;
    d["mean"] = means;
    d["covariance"] = covariances;
    d["condition_number"] = p.condition_number;
    d["eta_max"] = p.eta_max;
    d["summary"] = p.summary.brief();
    return d;
  }, py::arg("X_train"), py::arg("y_train"), py::arg("X_test"), py::arg("activation") = "relu", py::arg("depth") = 1,
     py::arg("w_std") = 1.0, py::arg("b_std") = 0.0, py::arg("kernel") = "ntk", py::arg("times") = py::none(),
     py::arg("ridge") = 0.0, py::arg("learning_rate") = 1.0,
     "Mean (and covariance) of the infinite ensemble trained by gradient flow on 1/(2n) sum (f - y)^2 with the NTK\n"
     "(kernel='ntk') or the readout only (kernel='nngp'), at the given times (t = learning rate x steps), or, with\n"
     "times=None, converged with a ridge (GP posterior / kernel ridge regression).");
}
