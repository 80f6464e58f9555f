// manynets._manynets: the library's expand, run, train, validate and timing
// entry points for the Python package (python/manynets/__init__.py), which
// turns Python values into option texts and these objects into NumPy arrays
// and dicts. The arrays it returns view the C++ results without copying them;
// the object that holds the results stays alive as long as any array does.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "manynets/manynets.hpp"

namespace nb = nanobind;

namespace manynets {
namespace python {
namespace {

// A one-dimensional NumPy array over `count` values at `data`, owned by `owner`.
template <class T>
nb::object array_view(const T* data, std::size_t count, nb::handle owner) {
  if constexpr (std::is_enum_v<T>) {
    using Code = std::underlying_type_t<T>;
    return array_view(reinterpret_cast<const Code*>(data), count, owner);
  } else {
    return nb::cast(nb::ndarray<nb::numpy, const T, nb::ndim<1>>(data, {count}, owner),
                    nb::rv_policy::reference);
  }
}
template <class T>
nb::object array_view(const std::vector<T>& v, nb::handle owner) {
  return array_view(v.data(), v.size(), owner);
}
// Rows x columns, row-major, owned by `owner`.
template <class T>
nb::object matrix_view(const std::vector<T>& v, std::size_t rows, std::size_t columns, nb::handle owner) {
  return nb::cast(nb::ndarray<nb::numpy, const T, nb::ndim<2>>(v.data(), {rows, columns}, owner),
                  nb::rv_policy::reference);
}

// The names an enum's codes stand for, code k at index k.
template <class E>
nb::list names_of(int count) {
  nb::list names;
  for (int k = 0; k < count; ++k) names.append(to_string(static_cast<E>(k)));
  return names;
}

// Python's own SIGINT handling runs only while the interpreter holds the GIL;
// a long run releases it and asks between chunks whether Ctrl-C was pressed.
void raise_if_interrupted() {
  nb::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw nb::python_error();
}

// What a run calls after every chunk: Ctrl-C stops it there, and a Python
// callable (or None) sees its progress.
std::function<void(std::size_t, std::size_t, double, double)> progress_forwarder(const nb::object& progress) {
  return [&progress](std::size_t done, std::size_t total, double net_steps, double seconds) {
    raise_if_interrupted();
    if (!progress.is_none()) {
      nb::gil_scoped_acquire gil;
      progress(done, total, net_steps, seconds);
    }
  };
}

std::unique_ptr<Backend> backend_for(const std::string& name, int threads) {
  BackendOptions options;
  options.threads = threads;
  return make_backend(name, options);
}

// An expanded sweep, shared by the runs made from it.
struct Plan {
  std::shared_ptr<const SweepPlan> plan;
};

// A trained sweep: its plan, results and summary.
struct SweepRun {
  std::shared_ptr<const SweepPlan> plan;
  SweepResults results;
  SweepSummary summary;
};

Plan expand_texts(const std::map<std::string, std::string>& texts) {
  return Plan{std::make_shared<const SweepPlan>(expand(make_sweep_spec(texts)))};
}

SweepRun run_plan(const Plan& p, const std::string& backend_name, int threads,
                  const std::vector<std::uint64_t>& curve_ids, std::int32_t curve_every,
                  nb::object progress) {
  const std::unique_ptr<Backend> backend = backend_for(backend_name, threads);
  SweepRunOptions run;
  run.curve_ids = curve_ids;
  run.curve_every = curve_every;
  run.progress = progress_forwarder(progress);
  SweepRun out;
  out.plan = p.plan;
  {
    nb::gil_scoped_release release;
    out.results = run_sweep(*p.plan, *backend, run);
    out.summary = summarize(*p.plan, out.results);
  }
  return out;
}

// Shard k of n of the plan into dir/shard-K-of-N, saving `options` for a merge.
nb::dict run_shard_of_plan(const Plan& p, const std::string& backend_name, int threads,
                           const std::string& dir, std::uint64_t k, std::uint64_t n,
                           std::map<std::string, std::string> options,
                           const std::vector<std::uint64_t>& curve_ids, std::int32_t curve_every,
                           nb::object progress) {
  const std::unique_ptr<Backend> backend = backend_for(backend_name, threads);
  options["backend"] = backend->name();  // what "auto" chose: every shard must train on the same
  SweepRunOptions run;
  run.curve_ids = curve_ids;
  run.curve_every = curve_every;
  run.progress = progress_forwarder(progress);
  SweepResults results;
  {
    nb::gil_scoped_release release;
    results = run_shard(*p.plan, *backend, dir, k, n, options, run);
  }
  const IdRange ids = shard_range(p.plan->networks(), k, n);
  nb::dict d;
  d["shard"] = k;
  d["shards"] = n;
  d["first_id"] = ids.begin;
  d["end_id"] = ids.end;
  d["trained"] = results.trained;
  d["seconds"] = results.seconds;
  d["backend"] = backend->name();
  d["directory"] = shard_dir(dir, k, n);
  return d;
}

nb::dict find_shard_set(const std::string& dir, const std::vector<std::string>& keys) {
  const ShardSet set = find_shards(dir, keys);
  nb::dict d;
  d["count"] = set.count;
  d["options"] = set.options;
  d["dirs"] = set.dirs;
  d["missing"] = set.missing;
  d["missing_text"] = missing_shards_text(set);
  return d;
}

SweepRun merge_plan(const Plan& p, const std::string& dir, const std::vector<std::string>& keys,
                    const std::vector<std::uint64_t>& curve_ids, std::int32_t curve_every) {
  const ShardSet set = find_shards(dir, keys);
  SweepRunOptions run;
  run.curve_ids = curve_ids;
  run.curve_every = curve_every;
  SweepRun out;
  out.plan = p.plan;
  {
    nb::gil_scoped_release release;
    out.results =
        merge_shards(*p.plan, set.options.count("backend") ? set.options.at("backend") : "", set, run);
    out.summary = summarize(*p.plan, out.results);
  }
  return out;
}

// Group g's columns: every hyperparameter of the Batch (names as codes), the
// sweep's bookkeeping and the results, each a view.
nb::dict group_columns(nb::handle self, std::size_t g) {
  const SweepRun& run = nb::cast<const SweepRun&>(self);
  if (g >= run.plan->groups.size()) throw nb::index_error("no such group");
  const SweepGroup& group = run.plan->groups[g];
  const Results& r = run.results.results[g];
  nb::dict d;
  for_each_hyperparameter(
      [&](const char* name, auto, auto column) { d[name] = array_view(group.batch.*column, self); });
  d["init"] = array_view(group.init, self);
  d["replicate"] = array_view(group.replicate, self);
  d["configuration"] = array_view(group.configuration, self);
  d["loss"] = array_view(r.loss, self);
  d["abs_error"] = array_view(r.abs_error, self);
  d["steps"] = array_view(r.steps, self);
  d["status"] = array_view(r.status, self);
  d["params"] = matrix_view(r.params, static_cast<std::size_t>(r.shape.num_params()), r.n, self);
  return d;
}

nb::list group_info(const SweepPlan& plan) {
  nb::list groups;
  for (const SweepGroup& g : plan.groups) {
    nb::dict d;
    d["shape"] = to_string(g.shape);
    d["first_id"] = g.batch.first_id;
    d["networks"] = g.batch.size();
    nb::list params;
    for (int p = 0; p < g.shape.num_params(); ++p) params.append(param_name(g.shape, p));
    d["param_names"] = params;
    groups.append(d);
  }
  return groups;
}

nb::list init_names(const SweepPlan& plan) {
  nb::list names;
  for (const InitSpec& init : plan.spec.inits) names.append(to_string(init));
  return names;
}

nb::list curves_of(nb::handle self) {
  const SweepRun& run = nb::cast<const SweepRun&>(self);
  nb::list curves;
  for (const SweepCurve& c : run.results.curves) {
    curves.append(nb::make_tuple(c.id, c.every, array_view(c.loss, self), array_view(c.abs_error, self)));
  }
  return curves;
}

// One network, trained as `manynets train` trains it: the options' single
// network, with its initial weights keyed by (seed, id).
struct TrainRun {
  Batch batch;
  Dataset data;
  Results results;
  std::vector<double> outputs;  // (samples, outputs) of the final parameters
};

TrainRun train_network(const std::map<std::string, std::string>& texts, const std::string& backend_name,
                       int threads, std::uint64_t id, std::int32_t curve_every) {
  const SweepPlan plan = expand(make_sweep_spec(texts));
  if (plan.networks() != 1) {
    throw input_error("these options describe " + std::to_string(plan.networks()) +
                      " networks; train trains one (use sweep for more)");
  }
  const SweepGroup& g = plan.groups.front();
  TrainRun out;
  out.batch = g.batch;
  out.data = g.data;
  out.batch.first_id = id;
  out.batch.curve_every = curve_every;
  initialize(out.batch, plan.spec.inits[g.init[0]]);
  const std::unique_ptr<Backend> backend = backend_for(backend_name, threads);
  {
    nb::gil_scoped_release release;
    out.results = backend->train(out.batch, out.data);
  }
  const NetworkConfig c = out.batch.config(0);
  std::vector<double> params(static_cast<std::size_t>(out.results.shape.num_params()));
  for (int p = 0; p < out.results.shape.num_params(); ++p)
    params[static_cast<std::size_t>(p)] = out.results.param(0, p);
  out.outputs = reference::outputs(out.results.shape, params.data(), c.hidden_activation, c.output_activation,
                                   out.data);
  return out;
}

// Networks of the caller's own: a dataset and per-network hyperparameter
// columns, trained as one Batch.
struct ArrayRun {
  Batch batch;
  Results results;
};

template <class T>
using Column = nb::ndarray<const T, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using Matrix = nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

ArrayRun train_arrays(const Matrix& x, const Matrix& t, const std::string& shape_text, std::size_t n,
                      const std::map<std::string, nb::object>& columns, const std::string& init_text,
                      nb::object init_params, std::uint64_t seed, std::uint64_t first_id,
                      const std::string& backend_name, int threads, const std::string& math) {
  const Shape shape = parse_shape(shape_text);
  Dataset data;
  data.name = "arrays";
  data.inputs = static_cast<int>(x.shape(1));
  data.outputs = static_cast<int>(t.shape(1));
  if (x.shape(0) != t.shape(0)) {
    throw input_error("x has " + std::to_string(x.shape(0)) + " samples and t " + std::to_string(t.shape(0)) +
                      "; give one target row per input row");
  }
  data.x.assign(x.data(), x.data() + x.size());
  data.t.assign(t.data(), t.data() + t.size());
  ArrayRun out;
  out.batch = Batch(shape, n);
  out.batch.set_config_all(NetworkConfig{});
  out.batch.seed = seed;
  out.batch.first_id = first_id;
  out.batch.math_mode = parse_math_mode(math);
  std::size_t used = 0;
  for_each_hyperparameter([&](const char* name, auto, auto member) {
    const auto it = columns.find(name);
    if (it == columns.end()) return;
    ++used;
    auto& column = out.batch.*member;
    using Stored = typename std::decay_t<decltype(column)>::value_type;
    using Code = std::conditional_t<std::is_enum_v<Stored>, std::uint8_t, Stored>;
    Column<Code> values;
    if (!nb::try_cast(it->second, values) || values.shape(0) != n) {
      throw input_error(std::string(name) + " must be a contiguous 1-d array of " + std::to_string(n) +
                        " values of the type sweep() documents");
    }
    for (std::size_t i = 0; i < n; ++i) column[i] = static_cast<Stored>(values(i));
  });
  if (used != columns.size()) throw input_error("a hyperparameter column that manynets does not know");
  if (init_params.is_none()) {
    initialize(out.batch, parse_init(init_text));
  } else {
    Matrix given;
    const std::size_t p = static_cast<std::size_t>(shape.num_params());
    if (!nb::try_cast(init_params, given) || given.shape(0) != n || given.shape(1) != p) {
      throw input_error("init_params must be a contiguous float64 array of shape (" + std::to_string(n) +
                        ", " + std::to_string(p) + "): one row of " + to_string(shape) +
                        " parameters per network");
    }
    for (std::size_t i = 0; i < n; ++i) out.batch.set_params(i, given.data() + i * p);
  }
  out.batch.validate();
  const std::unique_ptr<Backend> backend = backend_for(backend_name, threads);
  {
    nb::gil_scoped_release release;
    out.results = backend->train(out.batch, data);
  }
  return out;
}

// Trains every group of a plan, each as one Batch, `repeats` times; for bench.
nb::dict time_plan(const Plan& p, const std::string& backend_name, int threads, int repeats) {
  const std::unique_ptr<Backend> backend = backend_for(backend_name, threads);
  nb::list seconds, kernel_seconds;
  double net_steps = 0;
  for (int k = 0; k < repeats; ++k) {
    raise_if_interrupted();
    double wall = 0, kernel = 0;
    net_steps = 0;
    {
      nb::gil_scoped_release release;
      for (const SweepGroup& g : p.plan->groups) {
        const auto t0 = std::chrono::steady_clock::now();
        const Results r = backend->train(g.batch, g.data);
        wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        kernel += backend->last_kernel_seconds();
        for (std::int32_t s : r.steps) net_steps += s;
      }
    }
    seconds.append(wall);
    if (backend->last_kernel_seconds() >= 0) kernel_seconds.append(kernel);
  }
  nb::dict d;
  d["backend"] = backend->name();
  d["seconds"] = seconds;
  d["kernel_seconds"] = kernel_seconds;
  d["net_steps"] = net_steps;
  return d;
}

// validation_json's report (manynets validate --json).
std::string validate_plan(const Plan& p, const std::string& backend_name, int threads) {
  const std::unique_ptr<Backend> backend = backend_for(backend_name, threads);
  ValidationReport report;
  {
    nb::gil_scoped_release release;
    report = validate(*p.plan, *backend);
  }
  return validation_json(report);
}

}  // namespace
}  // namespace python
}  // namespace manynets

NB_MODULE(_manynets, m) {
  namespace mn = manynets;
  namespace py = manynets::python;
  m.doc() = "manynets' C++ core; use the manynets package, which wraps it";

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const mn::Error& e) {
      PyErr_SetString(e.kind() == mn::ErrorKind::invalid_input ? PyExc_ValueError : PyExc_RuntimeError,
                      e.what());
    }
  });

  m.def("version", [] { return mn::version(); });
  m.def("available_backends", [] { return mn::available_backends(); });
  m.def("resolve_auto_backend", [] { return mn::resolve_auto_backend(); });
  m.def("sweep_keys", [] { return mn::sweep_spec_keys(); });
  m.def("preset_names", [] { return mn::preset_names(); });
  m.def("hyperparameter_names", [] {
    std::vector<std::string> names;
    for (int k = 0; k < mn::hyperparameter_count; ++k)
      names.push_back(mn::to_string(static_cast<mn::Hyperparameter>(k)));
    return names;
  });
  m.def("code_names", [] {
    nb::dict d;
    d["optimizer"] = py::names_of<mn::Optimizer>(3);
    d["hidden_activation"] = d["output_activation"] = py::names_of<mn::Activation>(4);
    d["mode"] = py::names_of<mn::Mode>(2);
    d["status"] = py::names_of<mn::Status>(3);
    return d;
  });
  m.def("sample_ids", &mn::sample_ids);
  m.def("default_plot_script", &mn::default_plot_script);

  nb::class_<py::Plan>(m, "Plan")
      .def_prop_ro("networks", [](const py::Plan& p) { return p.plan->networks(); })
      .def_prop_ro("longest_run", [](const py::Plan& p) {
        std::int32_t longest = 0;
        for (const mn::SweepGroup& g : p.plan->groups) longest = std::max(longest, g.batch.longest_run());
        return longest;
      });
  m.def("expand", &py::expand_texts, nb::arg("texts"));
  m.def("run", &py::run_plan, nb::arg("plan"), nb::arg("backend"), nb::arg("threads"), nb::arg("curve_ids"),
        nb::arg("curve_every"), nb::arg("progress").none());

  m.def("run_shard", &py::run_shard_of_plan, nb::arg("plan"), nb::arg("backend"), nb::arg("threads"),
        nb::arg("dir"), nb::arg("k"), nb::arg("n"), nb::arg("options"), nb::arg("curve_ids"),
        nb::arg("curve_every"), nb::arg("progress").none());
  m.def("find_shards", &py::find_shard_set, nb::arg("dir"), nb::arg("keys"));
  m.def("merge", &py::merge_plan, nb::arg("plan"), nb::arg("dir"), nb::arg("keys"), nb::arg("curve_ids"),
        nb::arg("curve_every"));

  nb::class_<py::SweepRun>(m, "SweepRun")
      .def("summary_json", [](const py::SweepRun& r) { return mn::summary_json(r.summary); })
      .def("groups", [](const py::SweepRun& r) { return py::group_info(*r.plan); })
      .def("init_names", [](const py::SweepRun& r) { return py::init_names(*r.plan); })
      .def_prop_ro("seed", [](const py::SweepRun& r) { return r.plan->spec.seed; })
      .def_prop_ro("backend", [](const py::SweepRun& r) { return r.results.backend; })
      .def("columns", [](nb::handle self, std::size_t g) { return py::group_columns(self, g); })
      .def("curves", [](nb::handle self) { return py::curves_of(self); })
      .def("write",
           [](const py::SweepRun& r, const std::string& dir) {
             return mn::write_sweep_files(dir, *r.plan, r.results, r.summary);
           })
      .def("plot", [](const py::SweepRun&, const std::string& dir, const std::string& python,
                      const std::string& script) {
        const mn::PlotOutcome o = mn::make_plots(dir, python, script);
        return nb::make_tuple(o.ok, o.message, o.files);
      });

  nb::class_<py::TrainRun>(m, "TrainRun")
      .def_prop_ro("backend", [](const py::TrainRun& r) { return r.results.backend; })
      .def_prop_ro("shape", [](const py::TrainRun& r) { return mn::to_string(r.results.shape); })
      .def_prop_ro("loss", [](const py::TrainRun& r) { return r.results.loss[0]; })
      .def_prop_ro("abs_error", [](const py::TrainRun& r) { return r.results.abs_error[0]; })
      .def_prop_ro("steps", [](const py::TrainRun& r) { return r.results.steps[0]; })
      .def_prop_ro("status",
                   [](const py::TrainRun& r) { return std::string(mn::to_string(r.results.status[0])); })
      .def("params",
           [](const py::TrainRun& r) {
             nb::dict d;
             for (int p = 0; p < r.results.shape.num_params(); ++p)
               d[mn::param_name(r.results.shape, p).c_str()] = r.results.param(0, p);
             return d;
           })
      .def("outputs",
           [](nb::handle self) {
             const py::TrainRun& r = nb::cast<const py::TrainRun&>(self);
             return py::matrix_view(r.outputs, r.data.samples(), static_cast<std::size_t>(r.data.outputs),
                                    self);
           })
      .def("curve", [](nb::handle self) {
        const py::TrainRun& r = nb::cast<const py::TrainRun&>(self);
        const mn::Results& res = r.results;
        const std::size_t points =
            res.curve_every > 0
                ? std::min(res.curve_points, static_cast<std::size_t>(res.steps[0] / res.curve_every) + 1)
                : 0;
        return nb::make_tuple(res.curve_every, py::array_view(res.curve_loss.data(), points, self),
                              py::array_view(res.curve_abs_error.data(), points, self));
      });
  m.def("train", &py::train_network, nb::arg("texts"), nb::arg("backend"), nb::arg("threads"), nb::arg("id"),
        nb::arg("curve_every"));

  nb::class_<py::ArrayRun>(m, "ArrayRun")
      .def_prop_ro("backend", [](const py::ArrayRun& r) { return r.results.backend; })
      .def("columns", [](nb::handle self) {
        const py::ArrayRun& r = nb::cast<const py::ArrayRun&>(self);
        const mn::Results& res = r.results;
        nb::dict d;
        d["loss"] = py::array_view(res.loss, self);
        d["abs_error"] = py::array_view(res.abs_error, self);
        d["steps"] = py::array_view(res.steps, self);
        d["status"] = py::array_view(res.status, self);
        d["params"] =
            py::matrix_view(res.params, static_cast<std::size_t>(res.shape.num_params()), res.n, self);
        d["init_params"] = py::matrix_view(r.batch.init_params,
                                           static_cast<std::size_t>(res.shape.num_params()), res.n, self);
        return d;
      });
  m.def("train_arrays", &py::train_arrays, nb::arg("x"), nb::arg("t"), nb::arg("shape"), nb::arg("networks"),
        nb::arg("columns"), nb::arg("init"), nb::arg("init_params").none(), nb::arg("seed"),
        nb::arg("first_id"), nb::arg("backend"), nb::arg("threads"), nb::arg("math"));

  m.def("time_plan", &py::time_plan, nb::arg("plan"), nb::arg("backend"), nb::arg("threads"),
        nb::arg("repeats"));
  m.def("validate", &py::validate_plan, nb::arg("plan"), nb::arg("backend"), nb::arg("threads"));
}
