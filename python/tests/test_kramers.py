"""The Python package against the CLI: the same result.json and first passages
for the same experiment and seed, the CLI's error messages as ExperimentError,
a run that leaves the GIL to other threads and stops on Ctrl-C.

The CLI binary is $KRAMERS_BIN (scripts/test.sh sets it), else
target/release/kramers of this repository. No test here is statistical: each
compares exact values (false-failure rate 0)."""

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import kramers

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("KRAMERS_BIN", REPO / "target" / "release" / "kramers"))

# Two cases, some escaped and some censored within max_steps.
EXPERIMENT = """
name = "python"
seed = 5
dt = 0.01
max_steps = 400
trajectories = 3000

[potential]
kind = "barrier"
curvature_min = 1.0
curvature_top = 2.0
height = [0.25, 0.5]

[noise]
kind = "power-law"
d0 = 0.5
d2 = 0.25

[exit]
kind = "top"

[observe]
histogram = { range = [-3.0, 3.0], bins = 30 }
fpt_file = "npy"
"""


def cli(*args, check=True):
    out = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True)
    if check and out.returncode != 0:
        raise AssertionError(f"kramers {args} failed: {out.stderr}")
    return out


def without_run(result):
    result = dict(result)
    del result["run"]
    return result


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """The experiment through `kramers run`: its directory."""
    d = tmp_path_factory.mktemp("cli")
    (d / "e.toml").write_text(EXPERIMENT)
    cli("run", d / "e.toml", "--backend", "cpu", "--seed", 9, "--trajectories", 2500, "--out", d / "out")
    return d


def test_run_returns_what_the_cli_writes(cli_run):
    r = kramers.run(cli_run / "e.toml", backend="cpu", seed=9, trajectories=2500)
    written = json.loads((cli_run / "out" / "result.json").read_text())
    assert without_run(r.json) == without_run(written)
    # the text too, apart from the run object
    assert json.dumps(without_run(json.loads(r.to_json()))) == json.dumps(without_run(written))
    assert r.backend == "cpu" and len(r.cases) == 2
    # cases.csv, column by column
    cols = r.table()
    lines = (cli_run / "out" / "cases.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert list(cols) == header
    assert all(len(column) == 2 for column in cols.values()), cols
    # TOML text and dict give the same result as the file
    as_text = kramers.run(EXPERIMENT, backend="cpu", seed=9, trajectories=2500)
    assert without_run(as_text.json) == without_run(written)
    import tomllib

    as_dict = kramers.run(tomllib.loads(EXPERIMENT), backend="cpu", seed=9, trajectories=2500)
    assert without_run(as_dict.json) == without_run(written)
    assert as_dict.json["run"]["experiment"]["path"] == "<dict>"


def test_first_passage_arrays_equal_the_cli_npy(cli_run):
    r = kramers.run(cli_run / "e.toml", backend="cpu", seed=9, trajectories=2500)
    npy = np.load(cli_run / "out" / "first_passage.npy")
    assert npy.shape == (2, 2500)
    for case in range(2):
        steps = r.first_passage_steps(case)
        assert steps.dtype == np.uint32 and steps.shape == (2500,)
        assert np.array_equal(steps, npy[case])
        times = r.first_passage(case)
        assert times.dtype == np.float64 and times.shape == (2500,)
        censored = steps == 0
        assert censored.any() and (~censored).any(), "the experiment should censor some"
        assert np.isnan(times[censored]).all()
        dt = r.cases[case]["dt"]
        assert np.array_equal(times[~censored], steps[~censored] * dt)
        # the escaped count of result.json
        assert (~censored).sum() == r.cases[case]["fpt"]["escaped"]
    with pytest.raises(IndexError):
        r.first_passage(2)


def test_first_passage_on_request_and_absent_otherwise():
    text = EXPERIMENT.replace('fpt_file = "npy"\n', "")
    plain = kramers.run(text, backend="cpu", trajectories=100)
    with pytest.raises(ValueError, match="first_passage=True"):
        plain.first_passage(0)
    asked = kramers.run(text, backend="cpu", trajectories=100, first_passage=True)
    assert asked.first_passage_steps(1).shape == (100,)


def test_extrapolate_gives_what_the_cli_writes(cli_run):
    r = kramers.run(cli_run / "e.toml", backend="cpu", seed=9, trajectories=500, extrapolate=True)
    out = cli_run / "extrapolated"
    cli("run", cli_run / "e.toml", "--backend", "cpu", "--seed", 9, "--trajectories", 500,
        "--extrapolate", "--out", out)
    written = json.loads((out / "result.json").read_text())
    assert without_run(r.json) == without_run(written)
    for case in range(2):
        x = r.extrapolation(case)
        assert x == written["cases"][case]["extrapolation"]
        assert x["dt"] == [0.01, 0.005]
        # some paths are censored at max_steps: no mean, a rate at both steps
        assert x["mfpt"] is None and x["censored"][0] > 0
        rate = x["rate"]
        assert rate["ci99"][0] <= rate["extrapolated"] <= rate["ci99"][1]
    assert "rate_extrapolated" in r.table()
    plain = kramers.run(cli_run / "e.toml", backend="cpu", trajectories=100)
    with pytest.raises(ValueError, match="extrapolate=True"):
        plain.extrapolation(0)


@pytest.mark.parametrize(
    "experiment, field",
    [
        ({"dt": "small"}, "dt"),  # a dict with a wrong type
        (EXPERIMENT.replace("seed = 5", "seed = 5\nsped = 2"), "sped"),  # unknown field
        (EXPERIMENT.replace("dt = 0.01", "dt = -0.01"), "dt"),  # negative dt
        (EXPERIMENT.replace("d0 = 0.5", "d0 = -1.0"), "d0"),
        (EXPERIMENT.replace('kind = "top"', 'kind = "nowhere"'), "nowhere"),
        (EXPERIMENT.replace("trajectories = 3000", "trajectories = 0"), "trajectories"),
        ("no/such/experiment.toml", "no/such/experiment.toml"),
        (42, "int"),
    ],
)
def test_bad_input_raises_experiment_error_naming_the_field(experiment, field):
    if isinstance(experiment, dict):
        import tomllib

        spec = tomllib.loads(EXPERIMENT)
        spec.update(experiment)
        experiment = spec
    with pytest.raises(kramers.ExperimentError, match=field) as info:
        kramers.run(experiment, backend="cpu")
    assert isinstance(info.value, ValueError)


def test_bad_arguments_and_the_cli_message(tmp_path):
    with pytest.raises(kramers.ExperimentError, match="backend"):
        kramers.run(EXPERIMENT, backend="tpu")
    with pytest.raises(kramers.ExperimentError, match="seed"):
        kramers.run(EXPERIMENT, backend="cpu", seed=2**33)
    bad = EXPERIMENT.replace("dt = 0.01", "dt = -0.01")
    (tmp_path / "bad.toml").write_text(bad)
    message = cli("run", tmp_path / "bad.toml", "--backend", "cpu", check=False).stderr
    with pytest.raises(kramers.ExperimentError) as info:
        kramers.run(tmp_path / "bad.toml", backend="cpu")
    # the CLI's message, word for word
    assert str(info.value) in message


# Langevin over a barrier of 6 with D = 0.5: no trajectory escapes (mean
# escape time ~e^24), every one runs its max_steps.
LONG = """
name = "long"
seed = 1
dt = 0.01
max_steps = 1000000
trajectories = 1000
[potential]
kind = "barrier"
curvature_min = 1.0
curvature_top = 2.0
height = 6.0
[noise]
kind = "langevin"
d0 = 0.5
[exit]
kind = "top"
"""


def test_a_run_leaves_the_gil_to_other_threads():
    ticks = 0
    running = threading.Event()
    stop = threading.Event()

    def count():
        nonlocal ticks
        running.set()
        while not stop.is_set():
            ticks += 1  # pure Python: runs only while nobody holds the GIL

    counter = threading.Thread(target=count, daemon=True)
    counter.start()
    running.wait()
    started = time.perf_counter()
    kramers.run(LONG, backend="cpu", trajectories=1024)  # 1e9 trajectory-steps
    seconds = time.perf_counter() - started
    during = ticks
    stop.set()
    counter.join()
    # a run holding the GIL would let the counter move only at its start
    assert during > 10_000, f"{during} counts in {seconds:.2f} s of run"


def test_ctrl_c_stops_a_long_run_within_a_second():
    def interrupt():
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt).start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        kramers.run(LONG, backend="cpu", trajectories=1_000_000, seed=2)
    stopped = time.perf_counter() - started
    assert stopped < 1.5, f"stopped {stopped - 0.5:.2f} s after the signal"


def test_theory_devices_and_version(cli_run):
    rows = kramers.theory(cli_run / "e.toml")
    assert rows == json.loads(cli("theory", cli_run / "e.toml", "--json").stdout)
    assert rows[0]["theory"]["exact_mfpt"] > 0
    assert isinstance(kramers.devices(), list)
    assert kramers.__version__ == json.loads((cli_run / "out" / "result.json").read_text())["kramers_version"]


def test_escape_returns_the_cli_escape_json(tmp_path):
    ours = kramers.escape(quick=True, backend="cpu")
    cli("escape", "--quick", "--backend", "cpu", "--out", tmp_path)
    theirs = json.loads((tmp_path / "escape.json").read_text())
    assert ours == theirs
    # three dynamics, each at several heights
    assert len({p["dynamic"] for p in ours["points"]}) == 3 and len(ours["points"]) > 6


def test_turnover_returns_the_cli_turnover_json(tmp_path):
    ours = kramers.turnover(quick=True, backend="cpu")
    cli("turnover", "--quick", "--backend", "cpu", "--out", tmp_path)
    theirs = json.loads((tmp_path / "turnover.json").read_text())
    assert ours == theirs
    # five frictions over four decades; the least escape time inside the sweep
    frictions = [p["friction"] for p in ours["points"]]
    assert frictions == sorted(frictions) and len(frictions) == 5
    assert frictions[0] < ours["turnover_friction"] < frictions[-1]


def test_rare_experiment_runs_splitting_as_the_cli_does(tmp_path):
    """A [rare] table: kramers.run gives the CLI's AMS result.json (method, p,
    estimate and its interval) and its cases.csv."""
    text = """
name = "python rare"
seed = 3
dt = 0.01
max_steps = 10000000
trajectories = 1
[potential]
kind = "barrier"
curvature_min = 1.0
curvature_top = 2.0
height = 5.0
[noise]
kind = "langevin"
d0 = 0.5
[exit]
kind = "top"
[rare]
replicas = 200
kill = 20
runs = 4
"""
    (tmp_path / "r.toml").write_text(text)
    cli("run", tmp_path / "r.toml", "--backend", "cpu", "--out", tmp_path / "out")
    theirs = json.loads((tmp_path / "out" / "result.json").read_text())
    ours = kramers.run(tmp_path / "r.toml", backend="cpu")
    assert without_run(ours.json) == without_run(theirs)
    rare = ours.json["cases"][0]["rare"]
    assert ours.json["method"] == "ams" and rare["method"] == "ams"
    assert 0 < rare["p"] < 1e-6 and rare["ci95"][0] < rare["mfpt"] < rare["ci95"][1]
    assert ours.table()["p"][0] == rare["p"] and ours.table()["method"][0] == "ams"
    assert "by splitting" in repr(ours)


def test_theory_gives_the_exact_plane_solve_and_eyring_kramers():
    # Müller–Brown from B to C (docs/theory.md §9): the backward equation's
    # value with its error estimate, the shifted value above it, and the
    # saddle Newton's method found (the known B–C saddle).
    t = kramers.theory(REPO / "assets" / "muller-brown.toml")[0]["theory"]
    plane = t["exact_2d"]
    assert t["exact_mfpt"] == plane["mfpt"]
    assert plane["error"] < 1e-3 * plane["mfpt"]
    assert [g["cells"] for g in plane["grids"]] == sorted(g["cells"] for g in plane["grids"])
    assert t["exact_mfpt_shifted"] > t["exact_mfpt"]
    saddle = t["eyring_kramers"]["saddle"]["x"]
    assert abs(saddle[0] - 0.2125) < 1e-3 and abs(saddle[1] - 0.2930) < 1e-3


def test_landscape_finds_the_muller_brown_saddle():
    # The Müller–Brown saddle between A and the middle minimum, as in the
    # literature (docs/theory.md §9), reached by the path from A into the exit.
    rows = kramers.landscape(REPO / "assets" / "muller-brown-a-to-c.toml")
    land = rows[0]["landscape"]
    assert abs(land["minimum"]["value"] + 146.6995) < 1e-4
    toward = [p for p in land["passes"] if p["toward_exit"]]
    assert len(toward) == 1
    saddle = toward[0]["saddle"]
    assert abs(saddle["x"][0] + 0.822002) < 1e-6 and abs(saddle["x"][1] - 0.624313) < 1e-6
    assert [e["kind"] for e in toward[0]["ends"]] == ["minimum", "exit"]
    with pytest.raises(kramers.ExperimentError, match="dim"):
        kramers.landscape(REPO / "assets" / "barrier-langevin.toml")
