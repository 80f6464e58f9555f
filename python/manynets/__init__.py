"""Train huge numbers of tiny neural networks at once, from Python.

The calls read like the command line::

    import manynets as mn
    r = mn.sweep(preset="xor", shape="2-2-1", lr=mn.logspace(0.1, 8, 12), init="uniform:1",
                 seeds=500, steps=5000, target_loss=0.01)
    r.summary          # what summary.json holds, as a dict
    r.runs             # one NumPy array per runs.csv column
    r.to_pandas()      # the same as a DataFrame (needs pandas)
    mn.train(preset="seed", steps=10000).loss

Every option of ``manynets sweep`` is a keyword (``--hidden-activation`` is
``hidden_activation``), and takes what the flag takes, as Python values: a
number, a name, a list of them, or a range from :func:`linspace` and
:func:`logspace`. Bad input raises ValueError with the command line's message.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import sys
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _manynets as _core

__all__ = [
    "Range",
    "linspace",
    "logspace",
    "sweep",
    "train",
    "train_arrays",
    "validate",
    "bench",
    "merge",
    "SweepResult",
    "TrainResult",
    "ArrayResult",
    "available_backends",
    "presets",
    "__version__",
]

__version__ = _core.version()


class Range:
    """A range of values as the command line writes it: ``a:b:n`` or ``a:b:n:log``."""

    def __init__(self, first: float, last: float, count: int, log: bool = False):
        if isinstance(count, bool) or not isinstance(count, numbers.Integral):
            raise ValueError(f"a range needs a whole number of values, got {count!r}")
        self.first, self.last, self.count, self.log = first, last, int(count), log

    def __str__(self) -> str:
        text = f"{_number_text(self.first)}:{_number_text(self.last)}:{self.count}"
        return text + ":log" if self.log else text

    def __repr__(self) -> str:
        return f"Range({str(self)!r})"


def linspace(first: float, last: float, count: int) -> Range:
    """``count`` values from ``first`` to ``last``, evenly spaced (``first:last:count``)."""
    return Range(first, last, count)


def logspace(first: float, last: float, count: int) -> Range:
    """``count`` values from ``first`` to ``last``, evenly spaced in log (``first:last:count:log``)."""
    return Range(first, last, count, log=True)


def available_backends() -> List[str]:
    """The backends this build has, best first (``auto`` picks among them)."""
    return list(_core.available_backends())


def presets() -> List[str]:
    """The built-in workloads (``preset=``)."""
    return list(_core.preset_names())


# ---- option texts

# Keys Python spells differently from the command line.
_ALIASES = {"learning_rate": "lr", "max_steps": "steps"}


def _number_text(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "on" if v else "off"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"{v!r} is not a finite number")
        return repr(v)  # the shortest text that reads back exactly
    raise ValueError(f"{v!r} is not a number")


def _value_text(key: str, value: Any) -> str:
    """One option's value in the command line's syntax."""
    if isinstance(value, (Range, str)):
        return str(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, range)):
        if not value:
            raise ValueError(f"{key}: an empty list; give at least one value")
        cells = []
        for v in value:
            if isinstance(v, (Range, list, tuple, np.ndarray)):
                raise ValueError(f"{key}: a list holds single values; give one range or a list, not both")
            cells.append(_value_text(key, v))
        return ",".join(cells)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (numbers.Number, bool)):
        return _number_text(value)
    raise ValueError(f"{key}: cannot read {value!r}; give a number, a name, a list or a range")


def _option_texts(options: Mapping[str, Any], known: Sequence[str], what: str) -> Dict[str, str]:
    texts = {}
    for key, value in options.items():
        if value is None:
            continue
        option = _ALIASES.get(key, key).replace("_", "-")
        if option not in known:
            names = ", ".join(k.replace("-", "_") for k in known)
            raise TypeError(f"{what}() got an unexpected option '{key}'; options are {names}")
        texts[option] = _value_text(key, value)
    return texts


def _spec_texts(config: Union[None, str, os.PathLike, Mapping[str, Any]], options: Mapping[str, Any],
                what: str) -> Dict[str, str]:
    """Option texts from a config (a dict or a JSON file of them) with keyword options on top."""
    known = list(_core.sweep_keys())
    merged: Dict[str, Any] = {}
    if config is not None:
        if isinstance(config, (str, os.PathLike)):
            try:
                with open(config, encoding="utf-8") as f:
                    config = json.load(f)
            except OSError as e:
                raise ValueError(f"cannot read the config file '{os.fspath(config)}': {e.strerror}") from None
            except json.JSONDecodeError as e:
                raise ValueError(f"the config file is not valid JSON: {e}") from None
        if not isinstance(config, Mapping):
            raise ValueError("config must be a dict of options, or the path of a JSON file holding one")
        merged.update(config)
    merged.update(options)
    return _option_texts(merged, known, what)


def _check_threads(threads: int) -> None:
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or not 0 <= threads <= 4096:
        raise ValueError(f"threads must be a whole number from 0 (every core) to 4096, got {threads!r}")


def _progress_callback(progress: Union[bool, Callable, None]):
    if callable(progress):
        return progress
    if not progress:
        return None

    def show(done: int, total: int, net_steps: float, seconds: float) -> None:
        rate = f", {net_steps / seconds / 1e6:.3g} M net-steps/s" if seconds > 0 else ""
        end = "\n" if done >= total else ""
        print(f"\r  trained {done}/{total} networks ({100 * done / max(total, 1):.3g}%){rate}", end=end,
              file=sys.stderr, flush=True)

    return show


# ---- sweeps

_CODE_NAMES = _core.code_names()


def _names(codes: np.ndarray, names: Sequence[str]) -> np.ndarray:
    return np.asarray(names)[codes]


class SweepResult:
    """A trained sweep.

    ``runs`` holds one array per runs.csv column, in its order. The numeric
    results of a one-shape sweep (loss, abs_error, steps, the hyperparameter
    numbers, the final parameters) are views of the trained results, not
    copies; names (optimizer, status, ...) are arrays of str.
    """

    def __init__(self, run: "_core.SweepRun"):
        self._run = run
        self._runs: Optional[Dict[str, np.ndarray]] = None
        self._summary: Optional[Dict[str, Any]] = None
        self._curves: Optional[Dict[int, Dict[str, np.ndarray]]] = None

    @property
    def backend(self) -> str:
        return self._run.backend

    @property
    def summary(self) -> Dict[str, Any]:
        """What summary.json holds: counts, tables per hyperparameter, best configurations and network."""
        if self._summary is None:
            self._summary = json.loads(self._run.summary_json())
        return self._summary

    @property
    def networks(self) -> int:
        return int(self.summary["networks"])

    @property
    def runs(self) -> Dict[str, np.ndarray]:
        """One array per runs.csv column: id, shape, every hyperparameter, seed, replicate,
        status, steps, steps_to_target (NaN unless converged), loss, abs_error, then the final
        parameters by name (NaN where a network's shape has fewer)."""
        if self._runs is None:
            self._runs = self._build_runs()
        return self._runs

    def _build_runs(self) -> Dict[str, np.ndarray]:
        groups = self._run.groups()
        parts = [self._run.columns(g) for g in range(len(groups))]
        inits = self._run.init_names()

        def joined(make: Callable[[int, Dict[str, np.ndarray]], np.ndarray]) -> np.ndarray:
            arrays = [make(g, c) for g, c in enumerate(parts)]
            return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

        runs: Dict[str, np.ndarray] = {}
        runs["id"] = joined(lambda g, c: np.arange(groups[g]["first_id"], groups[g]["first_id"] +
                                                   groups[g]["networks"], dtype=np.uint64))
        for name in _core.hyperparameter_names():
            if name == "shape":
                runs[name] = joined(lambda g, c: np.full(groups[g]["networks"], groups[g]["shape"]))
            elif name == "init":
                runs[name] = joined(lambda g, c: _names(c["init"], inits))
            elif name in _CODE_NAMES:
                runs[name] = joined(lambda g, c: _names(c[name], _CODE_NAMES[name]))
            elif name == "train_biases":
                runs[name] = joined(lambda g, c: c[name].view(np.bool_))
            else:
                runs[name] = joined(lambda g, c: c[name])
        runs["seed"] = np.full(len(runs["id"]), self._run.seed, dtype=np.uint64)
        runs["replicate"] = joined(lambda g, c: c["replicate"])
        runs["status"] = joined(lambda g, c: _names(c["status"], _CODE_NAMES["status"]))
        runs["steps"] = joined(lambda g, c: c["steps"])
        runs["steps_to_target"] = np.where(runs["status"] == "converged", runs["steps"], np.nan)
        runs["loss"] = joined(lambda g, c: c["loss"])
        runs["abs_error"] = joined(lambda g, c: c["abs_error"])
        # The parameters by name, weights first, as runs.csv orders them.
        names: List[str] = []
        for group in groups:
            names += [n for n in group["param_names"] if n not in names]
        names.sort(key=_param_order)
        for name in names:
            def param(g: int, c: Dict[str, np.ndarray], name: str = name) -> np.ndarray:
                if name in groups[g]["param_names"]:
                    return c["params"][groups[g]["param_names"].index(name)]
                return np.full(groups[g]["networks"], np.nan)
            runs[name] = joined(param)
        return runs

    @property
    def curves(self) -> Dict[int, Dict[str, np.ndarray]]:
        """The kept loss curves by network id: step, loss and abs_error arrays (float32 values)."""
        if self._curves is None:
            self._curves = {}
            for id_, every, loss, abs_error in self._run.curves():
                steps = np.arange(len(loss), dtype=np.int64) * every
                self._curves[int(id_)] = {"step": steps, "loss": loss, "abs_error": abs_error}
        return self._curves

    def to_pandas(self):
        """runs as a pandas DataFrame, one row per network."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install pandas") from None
        return pd.DataFrame(self.runs)

    def write(self, directory: Union[str, os.PathLike], plots: bool = True) -> List[str]:
        """Writes runs.csv, summary.json and curves.csv into ``directory`` as ``manynets sweep
        --out`` does (each file complete or not there), and the PNG plots when ``plots`` is true
        and matplotlib is installed. Returns the paths written."""
        directory = os.fspath(directory)
        files = list(self._run.write(directory))
        if plots:
            import importlib.util
            import warnings
            if importlib.util.find_spec("matplotlib") is None:
                warnings.warn("plots skipped: matplotlib is not installed (pip install matplotlib)", stacklevel=2)
                return files
            script = os.path.join(os.path.dirname(__file__), "plot_sweep.py")
            if not os.path.exists(script):
                script = _core.default_plot_script()
            ok, message, drawn = self._run.plot(directory, sys.executable, script)
            if ok:
                files += list(drawn)
            else:
                warnings.warn(f"plots skipped: {message}", stacklevel=2)
        return files

    def __repr__(self) -> str:
        s = self.summary
        return (f"<SweepResult {s['networks']} networks on {s['backend']}: converged {s['converged']}, "
                f"ran out {s['ran_out']}, diverged {s['diverged']}>")


def _param_order(name: str):
    if name.startswith("w"):
        return (0, int(name[1:]))
    return (1 if name.startswith("b1") else 2, int(name[3:-1]))


def _curves_text(curves: Union[str, int, Iterable[int]]) -> str:
    """curves= as the command line's --curves writes it (what a shard saves)."""
    if isinstance(curves, str) or (isinstance(curves, numbers.Integral) and not isinstance(curves, bool)):
        return str(curves)
    ids = [str(int(i)) for i in curves]
    return ",".join(ids) if len(ids) != 1 else "ids:" + ids[0]


def _curve_ids(curves: Union[str, int, Iterable[int]], networks: int) -> List[int]:
    if isinstance(curves, str):
        if curves == "all":
            return list(_core.sample_ids(networks, networks))
        if curves == "none":
            return []
        if curves.isdigit():
            return list(_core.sample_ids(networks, int(curves)))
        if curves.startswith("ids:") or "," in curves:
            return _curve_ids([int(c) for c in curves[4 if curves.startswith("ids:") else 0:].split(",")], networks)
        raise ValueError(f"curves expects 'all', 'none', a count or a list of network ids; got {curves!r}")
    if isinstance(curves, numbers.Integral) and not isinstance(curves, bool):
        if curves < 0:
            raise ValueError(f"curves must be a count >= 0, got {curves}")
        return list(_core.sample_ids(networks, int(curves)))
    ids = [int(i) for i in curves]
    for i in ids:
        if not 0 <= i < networks:
            raise ValueError(f"curves: network id {i} is not in 0 .. {networks - 1}")
    return ids


def sweep(config: Union[None, str, os.PathLike, Mapping[str, Any]] = None, *, backend: str = "auto",
          threads: int = 0, curves: Union[str, int, Iterable[int]] = 24, curve_every: int = 0,
          progress: Union[bool, Callable[[int, int, float, float], None]] = False,
          shard: Optional[Sequence[int]] = None, out: Union[None, str, os.PathLike] = None,
          **options: Any) -> Union[SweepResult, Report]:
    """Trains a sweep, as ``manynets sweep`` does, and returns its results.

    options: every option of ``manynets sweep`` (preset, data, shape, hidden, lr, momentum, optimizer,
    hidden_activation, output_activation, init, steps, target_loss, train_biases, mode,
    weight_decay, seeds, random, seed, rule, math), each a value, a list or a Range.
    config: a dict of the same options, or the path of a JSON config file; keywords override it.
    curves: loss curves to keep: 'all', 'none', a count spread over the ids, or a list of ids.
    progress: True prints progress to stderr; a callable gets (done, total, net_steps, seconds)
    after every chunk. Ctrl-C stops the sweep between chunks with KeyboardInterrupt.
    shard=(k, n) with out=DIR: trains only shard k of n into DIR/shard-k-of-n, as ``manynets
    sweep --shard k/n --out DIR`` does, and returns a Report of it; once every shard is done
    (in any process, on any machine that reaches DIR), :func:`merge` gives the whole sweep.
    This is how Ray or Dask tasks share a sweep.
    """
    _check_threads(threads)
    if curve_every < 0:
        raise ValueError(f"curve_every must be >= 0, got {curve_every}")
    texts = _spec_texts(config, options, "sweep")
    plan = _core.expand(texts)
    ids = _curve_ids(curves, plan.networks)
    if shard is not None or out is not None:
        if shard is None or out is None:
            raise ValueError("shard=(k, n) and out=DIR go together: a shard keeps its results in DIR for merge()")
        k, n = (int(v) for v in shard)
        if not 0 <= k < n:
            raise ValueError(f"shard=(k, n) needs 0 <= k < n, got {tuple(shard)}")
        saved = dict(texts, curves=_curves_text(curves))
        if curve_every:
            saved["curve-every"] = str(curve_every)
        return Report(_core.run_shard(plan, backend, threads, os.fspath(out), k, n, saved, ids, curve_every,
                                      _progress_callback(progress)))
    run = _core.run(plan, backend, threads, ids, curve_every, _progress_callback(progress))
    return SweepResult(run)


# The keys a shard's saved options may hold: the sweep's and how it ran.
_SHARD_KEYS = list(_core.sweep_keys()) + ["backend", "threads", "out", "curves", "curve-every"]


def merge(directory: Union[str, os.PathLike], *, resume: bool = False, threads: int = 0) -> SweepResult:
    """The whole sweep from the shards in ``directory`` (written by ``sweep(shard=..., out=...)`` or
    ``manynets sweep --shard``), bit for bit what one process trains. Raises ValueError naming the
    shards that are not done, unless ``resume`` trains them here first."""
    _check_threads(threads)
    directory = os.fspath(directory)
    found = _core.find_shards(directory, _SHARD_KEYS)
    texts = dict(found["options"])
    plan = _core.expand(texts)
    curves = texts.get("curves", "24")
    every = int(texts.get("curve-every", "0"))
    if found["missing"]:
        if not resume:
            raise ValueError(f"{found['missing_text']} in '{directory}'; run them, or merge(resume=True) "
                             "to train them here")
        for k in found["missing"]:
            _core.run_shard(plan, texts.get("backend", "auto"), threads, directory, k, found["count"], texts,
                            _curve_ids(curves, plan.networks), every, None)
    return SweepResult(_core.merge(plan, directory, _SHARD_KEYS, _curve_ids(curves, plan.networks), every))


# ---- one network

class TrainResult:
    """One trained network: final loss, abs error, steps, status, parameters by name, the
    outputs for every sample of its dataset and its loss curve."""

    def __init__(self, run: "_core.TrainRun"):
        self._run = run
        self.backend: str = run.backend
        self.shape: str = run.shape
        self.loss: float = run.loss
        self.abs_error: float = run.abs_error
        self.steps: int = run.steps
        self.status: str = run.status
        self.params: Dict[str, float] = run.params()
        self.outputs: np.ndarray = run.outputs()
        every, loss, abs_error = run.curve()
        self.curve: Dict[str, np.ndarray] = {"step": np.arange(len(loss), dtype=np.int64) * max(every, 1),
                                             "loss": loss, "abs_error": abs_error}

    def __repr__(self) -> str:
        return (f"<TrainResult {self.shape} on {self.backend}: loss {self.loss:.8g} after {self.steps} steps "
                f"({self.status})>")


def train(config: Union[None, str, os.PathLike, Mapping[str, Any]] = None, *, backend: str = "reference",
          threads: int = 0, id: int = 0, curve_every: int = 1, **options: Any) -> TrainResult:
    """Trains one network, as ``manynets train`` does (the reference backend unless told otherwise).

    options: those of :func:`sweep`, each a single value. id: the network id that keys its random
    initial weights with ``seed`` (a sweep's reproduce line gives both). The loss is recorded
    every ``curve_every`` steps into ``curve``.
    """
    _check_threads(threads)
    if curve_every < 1:
        raise ValueError(f"curve_every must be >= 1, got {curve_every}")
    if id < 0:
        raise ValueError(f"id must be >= 0, got {id}")
    return TrainResult(_core.train(_spec_texts(config, options, "train"), backend, threads, id, curve_every))


# ---- your own arrays

# Batch columns by keyword, and the dtype each is passed in.
_COLUMNS = {
    "learning_rate": np.float64, "optimizer": np.uint8, "momentum": np.float64, "adam_beta1": np.float64,
    "adam_beta2": np.float64, "adam_epsilon": np.float64, "weight_decay": np.float64,
    "hidden_activation": np.uint8, "output_activation": np.uint8, "max_steps": np.int32,
    "target_loss": np.float64, "train_biases": np.uint8, "mode": np.uint8,
}


def _column(name: str, value: Any, n: int) -> np.ndarray:
    names = _CODE_NAMES.get(name)
    values = np.asarray(value)
    if names is not None and values.dtype.kind in "US":
        lookup = {v: k for k, v in enumerate(names)}
        unknown = sorted({str(v) for v in values.ravel() if str(v) not in lookup})
        if unknown:
            raise ValueError(f"{name}: unknown name {unknown[0]!r}; names are {', '.join(names)}")
        values = np.vectorize(lambda v: lookup[str(v)], otypes=[np.uint8])(values)
    if name == "train_biases" and values.dtype.kind == "b":
        values = values.astype(np.uint8)
    if values.ndim == 0:
        values = np.full(n, values)
    if values.shape != (n,):
        raise ValueError(f"{name} has shape {values.shape}; give one value or {n} values")
    return np.ascontiguousarray(values, dtype=_COLUMNS[name])


class ArrayResult:
    """Networks trained by :func:`train_arrays`: loss, abs_error, steps, status (n each),
    params and init_params (n x parameters), all views of the trained results."""

    def __init__(self, run: "_core.ArrayRun"):
        self._run = run
        c = run.columns()
        self.backend: str = run.backend
        self.loss: np.ndarray = c["loss"]
        self.abs_error: np.ndarray = c["abs_error"]
        self.steps: np.ndarray = c["steps"]
        self.status: np.ndarray = _names(c["status"], _CODE_NAMES["status"])
        self.params: np.ndarray = c["params"].T
        self.init_params: np.ndarray = c["init_params"].T


def train_arrays(x: Any, t: Any, shape: str, *, networks: Optional[int] = None, init: str = "uniform:1",
                 init_params: Any = None, seed: int = 1, first_id: int = 0, backend: str = "auto",
                 threads: int = 0, math: str = "precise", **hyperparameters: Any) -> ArrayResult:
    """Trains networks given as arrays on a dataset given as arrays.

    x: (samples, inputs) and t: (samples, outputs). shape: "I-H-O". Every hyperparameter
    (learning_rate or lr, optimizer, momentum, adam_beta1, adam_beta2, adam_epsilon,
    weight_decay, hidden_activation, output_activation, max_steps or steps, target_loss,
    train_biases, mode) is one value for all networks or an array with one per network;
    names may be given as strings. networks: how many (default: the length of the arrays).
    init_params: (networks, parameters) starting points in DESIGN.md's order, else ``init``
    draws them keyed by (seed, first_id + i), as a sweep does.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    t = np.ascontiguousarray(t, dtype=np.float64)
    if x.ndim == 1:
        x = x.reshape(1, -1)
    if t.ndim == 1:
        t = t.reshape(1, -1)
    if x.ndim != 2 or t.ndim != 2:
        raise ValueError("x and t must be (samples, inputs) and (samples, outputs) arrays")
    named = {}
    for key, value in hyperparameters.items():
        column = {"lr": "learning_rate", "steps": "max_steps"}.get(key, key)
        if column not in _COLUMNS:
            raise TypeError(f"train_arrays() got an unexpected option '{key}'; "
                            f"hyperparameters are {', '.join(_COLUMNS)}")
        named[column] = value
    if networks is None:
        lengths = {np.asarray(v).shape[0] for v in named.values() if np.asarray(v).ndim == 1}
        if init_params is not None:
            lengths.add(np.asarray(init_params).shape[0])
        if len(lengths) > 1:
            raise ValueError(f"the per-network arrays differ in length ({sorted(lengths)}); give them one length")
        networks = lengths.pop() if lengths else 1
    if networks < 1:
        raise ValueError(f"networks must be at least 1, got {networks}")
    _check_threads(threads)
    columns = {name: _column(name, value, networks) for name, value in named.items()}
    if init_params is not None:
        init_params = np.ascontiguousarray(init_params, dtype=np.float64)
    return ArrayResult(_core.train_arrays(x, t, shape, networks, columns, init, init_params, seed, first_id,
                                          backend, threads, math))


# ---- validation and timing

class Report(dict):
    """A dict whose keys read as attributes too (``report.passed``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def validate(config: Union[None, str, os.PathLike, Mapping[str, Any]] = None, *, backend: str = "auto",
             threads: int = 0, **options: Any) -> Report:
    """Trains the sweep the options describe on ``backend`` and on the double-precision
    reference and compares them, as ``manynets validate`` does; ``passed`` says whether every
    network agreed within tolerance."""
    _check_threads(threads)
    plan = _core.expand(_spec_texts(config, options, "validate"))
    return Report(json.loads(_core.validate(plan, backend, threads)))


def bench(backends: Sequence[str] = ("cpu",), *, networks: int = 100_000, steps: int = 1000,
          preset: str = "seed", init: str = "uniform:1", math: str = "precise", repeats: int = 3,
          threads: int = 0, **options: Any) -> List[Report]:
    """Times training ``networks`` networks for ``steps`` steps (no early stop) on each backend;
    one Report per backend with the median wall time and net-steps per second (and, for GPU
    backends, of the kernels alone)."""
    _check_threads(threads)
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    texts = _spec_texts(None, dict(options, preset=preset, init=init, math=math, seeds=networks, steps=steps,
                                   target_loss=0), "bench")
    plan = _core.expand(texts)
    reports = []
    for name in backends:
        timed = _core.time_plan(plan, name, threads, repeats)
        seconds = float(np.median(timed["seconds"]))
        report = Report(backend=timed["backend"], networks=plan.networks, steps=steps, math=math,
                        seconds=seconds, net_steps_per_second=timed["net_steps"] / seconds if seconds > 0 else float("inf"))
        if timed["kernel_seconds"]:
            kernel = float(np.median(timed["kernel_seconds"]))
            report["kernel_seconds"] = kernel
            report["kernel_net_steps_per_second"] = timed["net_steps"] / kernel if kernel > 0 else float("inf")
        reports.append(report)
    return reports


