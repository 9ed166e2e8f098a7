"""Type stubs of kramers (the docstrings live in __init__.py)."""

import os
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

Experiment = Union[str, os.PathLike[str], Mapping[str, Any]]

class KramersError(RuntimeError):
    """A run failed for a reason other than its input."""

class ExperimentError(ValueError):
    """Invalid experiment or argument: the message names the field, the value and what is allowed."""

class GpuError(KramersError):
    """No usable GPU adapter, or the GPU backend failed."""

class Result:
    json: Dict[str, Any]
    notices: List[str]
    def __init__(
        self,
        result_json: str,
        cases_csv: str,
        notices: List[str],
        first_passage: Optional[Tuple[bytes, int, int]],
    ) -> None: ...
    @property
    def cases(self) -> List[Dict[str, Any]]: ...
    @property
    def backend(self) -> str: ...
    @property
    def device(self) -> str: ...
    def to_json(self) -> str: ...
    def first_passage_steps(self, case: int) -> npt.NDArray[np.uint32]: ...
    def first_passage(self, case: int) -> npt.NDArray[np.float64]: ...
    def extrapolation(self, case: int) -> Dict[str, Any]: ...
    def table(self) -> Dict[str, np.ndarray]: ...

def run(
    experiment: Experiment,
    *,
    backend: str = "auto",
    trajectories: Optional[int] = None,
    seed: Optional[int] = None,
    first_passage: bool = False,
    extrapolate: bool = False,
) -> Result: ...
def theory(experiment: Experiment) -> List[Dict[str, Any]]: ...
def landscape(experiment: Experiment) -> List[Dict[str, Any]]: ...
def devices() -> List[Dict[str, Any]]: ...
def escape(*, quick: bool = False, backend: str = "auto") -> Dict[str, Any]: ...
