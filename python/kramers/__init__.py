"""kramers: batched SDE ensembles (Langevin, power-law, alpha-stable, SGD
dynamics) on the GPU or the CPU, their first-passage times, escape rates and
stationary laws, checked against exact theory.

A thin layer over the Rust library's one run path: ``kramers.run`` returns
what ``kramers run`` writes to result.json (as a dict), cases.csv (as numpy
columns) and the per-trajectory first passages (as numpy arrays).

    >>> import kramers
    >>> r = kramers.run("assets/power-law-barrier.toml", backend="cpu",
    ...                 trajectories=10_000, seed=3)
    >>> r.cases[0]["fpt"]["mean"], r.cases[0]["theory"]["exact_mfpt"]

An experiment is a path to an experiment file, its TOML text, or a dict with
the same fields (lists sweep, as in files). Invalid input raises
``ExperimentError`` (a ``ValueError``) with the message of the CLI: the field,
the value and what is allowed. A run releases the GIL, and Ctrl-C stops it
within a fraction of a second (``KeyboardInterrupt``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import warnings
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _native
from ._native import ExperimentError, GpuError, KramersError

__all__ = [
    "run",
    "theory",
    "landscape",
    "devices",
    "escape",
    "turnover",
    "Result",
    "ExperimentError",
    "GpuError",
    "KramersError",
    "__version__",
]

__version__: str = _native.__version__

#: What the functions accept as an experiment.
Experiment = Union[str, "os.PathLike[str]", Mapping[str, Any]]

_BACKENDS = ("auto", "cpu", "gpu")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as JSON values (for experiment dicts)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise ExperimentError(
        f"invalid value in the experiment dict: {value!r} (numbers, strings, booleans, lists and dicts)"
    )


def _source(experiment: Experiment) -> Tuple[str, str]:
    """The experiment's TOML text and where it came from (recorded in result.json)."""
    if isinstance(experiment, Mapping):
        text = _native.toml_from_json(json.dumps(dict(experiment), default=_plain))
        return text, "<dict>"
    if isinstance(experiment, os.PathLike) or (
        isinstance(experiment, str) and os.path.exists(experiment)
    ):
        path = os.fspath(experiment)
        try:
            with open(path, encoding="utf-8") as f:
                return f.read(), path
        except OSError as e:
            raise ExperimentError(f"cannot read {path}: {e.strerror}") from None
    if isinstance(experiment, str):
        if "=" in experiment:
            return experiment, "<string>"
        raise ExperimentError(
            f"no experiment file {experiment!r} (an experiment is a path, a TOML string or a dict)"
        )
    raise ExperimentError(
        f"invalid experiment of type {type(experiment).__name__} (a path, a TOML string or a dict)"
    )


def _check_backend(backend: str) -> None:
    if backend not in _BACKENDS:
        raise ExperimentError(
            f"invalid value for `backend`: {backend!r} (\"auto\", \"cpu\" or \"gpu\")"
        )


class Result:
    """One run: result.json as ``json`` (a dict), its ``cases``, cases.csv as
    ``table()``, and the first passages as ``first_passage(case)`` when the run
    recorded them."""

    def __init__(
        self,
        result_json: str,
        cases_csv: str,
        notices: List[str],
        first_passage: Optional[Tuple[bytes, int, int]],
    ) -> None:
        self._text = result_json
        self._csv = cases_csv
        #: The content of result.json.
        self.json: Dict[str, Any] = json.loads(result_json)
        #: What the run said on the way (backend fallback, doubtful settings).
        self.notices: List[str] = list(notices)
        self._fpt: Optional[np.ndarray] = None
        if first_passage is not None:
            data, cases, trajectories = first_passage
            self._fpt = np.frombuffer(data, dtype="<u4").reshape(cases, trajectories)

    @property
    def cases(self) -> List[Dict[str, Any]]:
        """Per case: params, dt, trajectories, fpt (escaped, censored, mean,
        ci95, rate...), final moments, histogram, theory and z scores; with a
        ``[rare]`` table, the splitting estimate ``rare`` instead of fpt and
        final (README "Rare escapes")."""
        return self.json["cases"]

    @property
    def backend(self) -> str:
        """``"cpu"`` or ``"gpu"``."""
        return self.json["backend"]

    @property
    def device(self) -> str:
        """The adapter or CPU the run used."""
        return self.json["device"]

    def to_json(self) -> str:
        """result.json's text, as ``kramers run`` writes it."""
        return self._text

    def first_passage_steps(self, case: int) -> np.ndarray:
        """The first-passage step of every trajectory of ``case`` (``uint32``;
        0 censored, 4294967295 diverged): row ``case`` of first_passage.npy."""
        if self._fpt is None:
            raise ValueError(
                "this run recorded no first passages: run(..., first_passage=True), "
                "or observe.fpt_file in the experiment"
            )
        if not 0 <= case < self._fpt.shape[0]:
            raise IndexError(f"case {case} of {self._fpt.shape[0]}")
        return self._fpt[case]

    def first_passage(self, case: int) -> np.ndarray:
        """The first-passage time (step x dt) of every trajectory of ``case``
        (``float64``), NaN where the trajectory was censored or diverged."""
        steps = self.first_passage_steps(case)
        times = steps.astype(np.float64) * float(self.cases[case]["dt"])
        times[(steps == 0) | (steps == np.iinfo(np.uint32).max)] = np.nan
        return times

    def extrapolation(self, case: int) -> Dict[str, Any]:
        """The extrapolation to dt -> 0 of ``case`` (an extrapolated run:
        ``run(..., extrapolate=True)`` or ``observe.extrapolate``): ``form``,
        ``dt`` ([dt, dt/2]) and ``mfpt`` with ``at_dt``, ``at_half_dt``,
        ``extrapolated``, ``standard_error``, ``ci99``; direct runs also give
        ``rate``, ``survival`` and the coupled and independent difference
        variances (docs/outputs.md)."""
        if not 0 <= case < len(self.cases):
            raise IndexError(f"case {case} of {len(self.cases)}")
        x = self.cases[case].get("extrapolation")
        if x is None:
            raise ValueError(
                "this run did not extrapolate: run(..., extrapolate=True), "
                "or observe.extrapolate in the experiment"
            )
        return x

    def table(self) -> Dict[str, np.ndarray]:
        """cases.csv as columns: numbers as ``float64`` (NaN where empty), the
        rest as strings."""
        rows = list(csv.reader(io.StringIO(self._csv)))
        header, body = rows[0], rows[1:]
        columns: Dict[str, np.ndarray] = {}
        for j, name in enumerate(header):
            values = [row[j] for row in body]
            try:
                columns[name] = np.array(
                    [float(v) if v != "" else np.nan for v in values], dtype=np.float64
                )
            except ValueError:
                columns[name] = np.array(values, dtype=str)
        return columns

    def __repr__(self) -> str:
        if self.json.get("method") == "ams":
            what = "by splitting (AMS)"
        else:
            what = f"x {self.json['trajectories']} trajectories"
        return f"<kramers.Result {self.json['name']!r}: {len(self.cases)} cases {what} on {self.backend}>"


def run(
    experiment: Experiment,
    *,
    backend: str = "auto",
    trajectories: Optional[int] = None,
    seed: Optional[int] = None,
    first_passage: bool = False,
    extrapolate: bool = False,
) -> Result:
    """Simulate every case of ``experiment`` as ``kramers run`` does.

    ``backend``: ``"auto"`` (a GPU when one is found, else the CPU backend),
    ``"cpu"`` or ``"gpu"``. ``trajectories`` and ``seed`` override the
    experiment's. ``first_passage=True`` records every trajectory's first
    passage (as ``observe.fpt_file = "npy"`` does). ``extrapolate=True`` runs
    every trajectory at dt and dt/2 on one Brownian path and adds each case's
    Richardson extrapolation to dt -> 0 (as ``observe.extrapolate = true``;
    ``Result.extrapolation(case)``). The GIL is released while
    the run goes on; Ctrl-C raises ``KeyboardInterrupt`` within a fraction of
    a second. Raises ``ExperimentError`` for invalid input, ``GpuError`` when
    the GPU fails.
    """
    _check_backend(backend)
    text, origin = _source(experiment)
    result_json, cases_csv, notices, fpt = _native.run(
        text, origin, backend, trajectories, seed, first_passage, extrapolate
    )
    for notice in notices:
        warnings.warn(notice, RuntimeWarning, stacklevel=2)
    return Result(result_json, cases_csv, notices, fpt)


def theory(experiment: Experiment) -> List[Dict[str, Any]]:
    """The exact and asymptotic references of every case, without simulating
    (``kramers theory --json``): per case its index, params and theory."""
    text, origin = _source(experiment)
    return json.loads(_native.theory(text, origin))


def landscape(experiment: Experiment) -> List[Dict[str, Any]]:
    """The landscape of every case of a 2-D experiment (``kramers landscape
    --json``): per case its index, params and either ``landscape`` (the
    start's minimum, the saddles of its basin with their paths) or
    ``no_answer``."""
    text, origin = _source(experiment)
    return json.loads(_native.landscape(text, origin))


def devices() -> List[Dict[str, Any]]:
    """The GPU adapters found (``kramers devices --json``), software ones included."""
    return json.loads(_native.devices())


def escape(*, quick: bool = False, backend: str = "auto") -> Dict[str, Any]:
    """The built-in escape sweep (``kramers escape``): mean escape time against
    barrier height for Langevin, power-law and alpha-stable noise, with the
    exact values; escape.json's content (points, curves, growth fits)."""
    _check_backend(backend)
    return json.loads(_native.escape(quick, backend))


def turnover(*, quick: bool = False, backend: str = "auto") -> Dict[str, Any]:
    """The built-in Kramers turnover (``kramers turnover``): mean escape time
    of underdamped Langevin dynamics against the friction, with the high- and
    low-friction limits and Mel'nikov–Meshkov; turnover.json's content
    (name, device, points, turnover_friction, curves)."""
    _check_backend(backend)
    return json.loads(_native.turnover(quick, backend))
