"""The Python package against the library's own numbers and files."""

import csv
import json
import math
import os
import signal
import threading

import numpy as np
import pytest

import manynets as mn

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_T = np.array([[0], [1], [1], [0]], dtype=float)


# ---- one network: the worked example's published numbers


def test_train_replays_the_worked_example():
    r = mn.train(preset="seed", steps=10000)
    assert r.backend == "reference"
    assert r.status == "max_steps"
    assert r.steps == 10000
    # The value an independent double-precision calculation gives (README).
    assert r.loss == pytest.approx(3.5101878e-05, rel=1e-7)
    assert list(r.params)[:2] == ["w1", "w2"]
    assert r.outputs.shape == (1, 2)
    assert r.outputs[0] == pytest.approx([0.01, 0.99], abs=1e-2)
    # The curve starts at the example's first loss and ends at the final one.
    assert len(r.curve["loss"]) == 10001
    assert r.curve["loss"][0] == pytest.approx(0.2983711, rel=1e-6)
    assert r.curve["loss"][-1] == pytest.approx(r.loss, rel=1e-6)
    assert r.curve["step"][-1] == 10000


def test_train_refuses_options_that_describe_many_networks():
    with pytest.raises(ValueError, match="networks; train trains one"):
        mn.train(preset="xor", lr=[0.1, 0.2])


# ---- sweeps


@pytest.fixture(scope="module")
def xor_sweep():
    return mn.sweep(preset="xor", shape="2-2-1", lr=mn.logspace(0.5, 8, 4), init="uniform:1", seeds=25,
                    steps=2000, target_loss=0.01, backend="cpu", threads=2, curves=5)


def test_sweep_summary_counts_the_runs(xor_sweep):
    s = xor_sweep.summary
    runs = xor_sweep.runs
    assert s["networks"] == 100 == len(runs["id"])
    assert s["converged"] == int(np.sum(runs["status"] == "converged"))
    assert s["diverged"] == int(np.sum(runs["status"] == "diverged"))
    (table,) = s["tables"]  # the learning rate is the one swept axis
    assert table["hyperparameter"] == "learning_rate"
    np.testing.assert_allclose([row["number"] for row in table["rows"]], np.geomspace(0.5, 8, 4), rtol=1e-12)
    assert sum(row["networks"] for row in table["rows"]) == 100
    assert s["backend"] == "cpu"


def assert_runs_match_runs_csv(result, directory):
    files = result.write(directory, plots=False)
    assert sorted(os.path.basename(f) for f in files) == ["curves.csv", "runs.csv", "summary.json"]
    with open(directory / "runs.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    runs = result.runs
    assert header == list(runs)
    assert len(rows) == len(runs["id"])
    for c, name in enumerate(header):
        for i, row in enumerate(rows):
            value = runs[name][i]
            cell = row[c]
            if isinstance(value, (str, np.str_)):
                assert cell == value, (name, i)
            elif isinstance(value, (bool, np.bool_)):
                assert cell == ("on" if value else "off"), (name, i)
            elif cell == "":
                assert math.isnan(value), (name, i)
            else:
                assert float(cell) == float(value), (name, i)  # numbers read back exactly
    with open(directory / "summary.json") as f:
        assert json.load(f) == result.summary


def test_runs_columns_are_those_of_runs_csv_with_the_same_values(xor_sweep, tmp_path):
    assert_runs_match_runs_csv(xor_sweep, tmp_path)


def test_a_sweep_over_shapes_joins_their_columns(tmp_path):
    r = mn.sweep(preset="xor", shape=["2-2-1", "2-2-2"], lr=[0.5, 2], seeds=3, steps=100, backend="cpu",
                 curves="all")
    runs = r.runs
    assert list(runs["shape"]) == ["2-2-1"] * 6 + ["2-2-2"] * 6
    assert np.all(np.isnan(runs["w7"][:6])) and np.all(np.isfinite(runs["w7"][6:]))
    assert len(r.curves) == 12
    assert_runs_match_runs_csv(r, tmp_path)


def test_the_hidden_width_is_a_sweep_axis(tmp_path):
    r = mn.sweep(preset="xor", hidden=[1, 5, 17], lr=1, seeds=3, steps=200, backend="cpu", curves="all")
    runs = r.runs
    assert list(runs["shape"]) == ["2-1-1"] * 3 + ["2-5-1"] * 3 + ["2-17-1"] * 3
    # A 2-1-1 network has 5 parameters (w1..w3, b1[0], b2[0]); the wider ones more.
    assert np.all(np.isnan(runs["w4"][:3])) and np.all(np.isfinite(runs["w4"][3:]))
    assert_runs_match_runs_csv(r, tmp_path)
    ranged = mn.sweep(preset="xor", hidden="2:8:4", lr=1, steps=10, backend="cpu")
    assert list(ranged.runs["shape"]) == ["2-2-1", "2-4-1", "2-6-1", "2-8-1"]
    with pytest.raises(ValueError, match="hidden"):
        mn.sweep(preset="xor", hidden=65, steps=10, backend="cpu")


def test_numeric_results_are_views_not_copies(xor_sweep):
    runs = xor_sweep.runs
    for name in ["loss", "abs_error", "steps", "learning_rate", "w1"]:
        assert not runs[name].flags.owndata, name
        assert not runs[name].flags.writeable, name


def test_dlpack_hands_the_results_on_without_a_copy(xor_sweep):
    loss = xor_sweep.runs["loss"]
    assert np.shares_memory(np.from_dlpack(loss), loss)


def test_curves_are_kept_for_the_chosen_networks(xor_sweep):
    curves = xor_sweep.curves
    assert len(curves) == 5
    for id_, c in curves.items():
        i = int(np.nonzero(xor_sweep.runs["id"] == id_)[0][0])
        assert c["step"][0] == 0
        assert len(c["loss"]) == len(c["step"]) == len(c["abs_error"])
        assert c["step"][-1] <= xor_sweep.runs["steps"][i]


def test_to_pandas_gives_one_row_per_network(xor_sweep):
    pd = pytest.importorskip("pandas")
    df = xor_sweep.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 100
    assert list(df.columns) == list(xor_sweep.runs)


def test_python_values_read_as_the_command_line_reads_their_text():
    a = mn.sweep(preset="xor", lr=[0.5, 2], optimizer=["sgd", "adam"], train_biases=[True, False], steps=50,
                 backend="reference", curves="none")
    b = mn.sweep({"preset": "xor", "lr": "0.5,2", "optimizer": "sgd,adam", "train-biases": "on,off"}, steps="50",
                 backend="reference", curves="none")
    assert a.networks == b.networks == 8
    for name in a.runs:
        np.testing.assert_array_equal(a.runs[name], b.runs[name], err_msg=name)


def test_a_config_file_is_read_like_the_command_lines(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"preset": "xor", "lr": "0.1:2:3", "seeds": 2, "steps": 20}))
    r = mn.sweep(str(path), backend="reference", curves="none", seeds=3)  # keywords override the file
    assert r.networks == 9
    np.testing.assert_allclose(np.unique(r.runs["learning_rate"]), [0.1, 1.05, 2.0])


def test_a_random_sweep_draws_within_its_ranges():
    r = mn.sweep(preset="xor", random=40, lr=mn.logspace(0.1, 4, 2), momentum=mn.linspace(0.5, 0.9, 2),
                 optimizer="momentum", steps=30, backend="cpu", curves="none")
    lr = r.runs["learning_rate"]
    assert r.networks == 40
    assert np.all((lr >= 0.1) & (lr <= 4)) and len(np.unique(lr)) == 40


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"lr": -1}, ValueError, "lr"),
        ({"preset": "nosuch"}, ValueError, "nosuch"),
        ({"lr": "0.1:2"}, ValueError, "lr"),
        ({"shape": "2-2-2", "preset": "xor", "init": "nosuch"}, ValueError, "init"),
        ({"learning_rat": 1}, TypeError, "learning_rat"),
        ({"lr": [mn.logspace(0.1, 1, 2)]}, ValueError, "range or a list"),
        ({"lr": float("nan")}, ValueError, "finite"),
    ],
)
def test_bad_input_raises_with_the_command_lines_message(options, error, message):
    with pytest.raises(error, match=message):
        mn.sweep(steps=10, backend="reference", **options)


def test_job_options_are_checked_too():
    with pytest.raises(ValueError, match="threads"):
        mn.sweep(preset="xor", steps=10, threads=-1)
    with pytest.raises(ValueError, match="curves"):
        mn.sweep(preset="xor", steps=10, curves=[5])
    with pytest.raises(TypeError, match="seeds_"):
        mn.train(preset="seed", seeds_=2)


def test_a_missing_backend_is_a_value_error():
    with pytest.raises(ValueError, match="backend"):
        mn.sweep(preset="xor", steps=10, backend="nosuch")


def test_a_progress_callback_sees_every_network():
    seen = []
    mn.sweep(preset="xor", seeds=3000, steps=10, backend="cpu", curves="none",
             progress=lambda done, total, net_steps, seconds: seen.append((done, total)))
    assert seen and seen[-1] == (3000, 3000)


def test_an_exception_in_the_progress_callback_stops_the_sweep():
    def stop(*_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mn.sweep(preset="xor", seeds=5000, steps=10, backend="cpu", curves="none", progress=stop)


def test_ctrl_c_stops_a_long_sweep_between_chunks():
    # A sweep of minutes; SIGINT arrives while the GIL is released in training.
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            mn.sweep(preset="xor", lr=[0.5, 1], seeds=1_000_000, steps=5000, target_loss=0, backend="cpu",
                     curves="none")
    finally:
        timer.cancel()


# ---- your own arrays


def test_arrays_in_give_the_sweeps_networks_bit_for_bit():
    r = mn.sweep(preset="xor", lr=[0.5, 3], optimizer=["sgd", "adam"], init="uniform:1", seeds=20, steps=300,
                 target_loss=0.01, seed=7, backend="cpu", curves="none")
    runs = r.runs
    columns = {name: runs[name] for name in ["learning_rate", "momentum", "optimizer", "hidden_activation",
                                             "output_activation", "max_steps", "target_loss", "train_biases",
                                             "mode", "weight_decay"]}
    a = mn.train_arrays(XOR_X, XOR_T, "2-2-1", init="uniform:1", seed=7, backend="cpu", **columns)
    np.testing.assert_array_equal(a.loss, runs["loss"])
    np.testing.assert_array_equal(a.steps, runs["steps"])
    np.testing.assert_array_equal(a.status, runs["status"])
    np.testing.assert_array_equal(a.params[:, 0], runs["w1"])


def test_arrays_in_with_given_starting_points():
    start = np.array([[0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, 0.35, 0.35, 0.60, 0.60]])
    a = mn.train_arrays([[0.05, 0.10]], [[0.01, 0.99]], "2-2-2", init_params=start, lr=0.5, steps=10000,
                        train_biases=False, backend="reference")
    assert a.loss[0] == pytest.approx(3.5101878e-05, rel=1e-7)
    np.testing.assert_array_equal(a.init_params, start)


def test_arrays_in_refuse_what_does_not_fit():
    with pytest.raises(ValueError, match="one value or 3 values"):
        mn.train_arrays(XOR_X, XOR_T, "2-2-1", networks=3, lr=[0.1, 0.2])
    with pytest.raises(ValueError, match="unknown name 'nosuch'"):
        mn.train_arrays(XOR_X, XOR_T, "2-2-1", optimizer="nosuch")
    with pytest.raises(ValueError, match="learning"):
        mn.train_arrays(XOR_X, XOR_T, "2-2-1", lr=-1.0)
    with pytest.raises(ValueError):
        mn.train_arrays(XOR_X, XOR_T[:3], "2-2-1")


# ---- validation and timing


def test_validate_passes_for_the_cpu_backend():
    report = mn.validate(backend="cpu", preset="xor", seeds=30, steps=500, init="uniform:1")
    assert report.passed, report
    assert report.networks == 30


def test_bench_reports_a_rate_per_backend():
    (report,) = mn.bench(["cpu"], networks=2000, steps=100, repeats=1)
    assert report.backend == "cpu"
    assert report.networks == 2000
    assert report.net_steps_per_second > 0


# ---- shards


def test_shards_in_any_process_merge_to_the_sweep_of_one(tmp_path):
    options = dict(preset="xor", lr=[0.5, 2, 4], init="uniform:1", seeds=20, steps=300, target_loss=0.01,
                   backend="cpu", curves=6)
    one = mn.sweep(**options)
    for k in [2, 0, 1]:
        report = mn.sweep(shard=(k, 3), out=tmp_path, **options)
        assert report.shard == k and report.trained == report.end_id - report.first_id
    merged = mn.merge(tmp_path)
    assert merged.summary["networks"] == 60
    for name in one.runs:
        np.testing.assert_array_equal(merged.runs[name], one.runs[name], err_msg=name)
    assert merged.curves.keys() == one.curves.keys()


def test_merge_names_a_shard_that_is_not_done_and_resume_trains_it(tmp_path):
    options = dict(preset="xor", lr=[0.5, 2], seeds=10, steps=100, backend="cpu")
    mn.sweep(shard=(0, 2), out=tmp_path, **options)
    with pytest.raises(ValueError, match="shard 1 of 2 is not done"):
        mn.merge(tmp_path)
    merged = mn.merge(tmp_path, resume=True)
    np.testing.assert_array_equal(merged.runs["loss"], mn.sweep(**options).runs["loss"])
    with pytest.raises(ValueError, match="go together"):
        mn.sweep(shard=(0, 2), **options)
    with pytest.raises(ValueError, match="holds no shards"):
        mn.merge(tmp_path / "shard-0-of-2")
