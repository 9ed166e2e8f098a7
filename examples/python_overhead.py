"""What calling kramers from Python costs on top of the library's run: a run
of 1,000 trajectories of assets/power-law-barrier.toml on the CPU backend,
timed around kramers.run, against the run's own wall time in result.json
(run.wall_time_s, measured inside the Rust library around the simulation).
The difference is parsing, thread hand-off, JSON both ways and the Result.

    python examples/python_overhead.py
"""

import statistics
import time
from pathlib import Path

import kramers

EXPERIMENT = Path(__file__).resolve().parents[1] / "assets" / "power-law-barrier.toml"


def main(repeats=50):
    kramers.run(EXPERIMENT, backend="cpu", trajectories=1000)  # warm up
    total, inner = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        r = kramers.run(EXPERIMENT, backend="cpu", trajectories=1000)
        total.append(time.perf_counter() - started)
        inner.append(r.json["run"]["wall_time_s"])
    overhead = [t - i for t, i in zip(total, inner)]
    print(f"{len(r.cases)} cases x 1000 trajectories, {repeats} runs (medians):")
    print(f"  through Python      {statistics.median(total) * 1e3:8.2f} ms")
    print(f"  the library's run   {statistics.median(inner) * 1e3:8.2f} ms")
    print(f"  overhead            {statistics.median(overhead) * 1e3:8.2f} ms (max {max(overhead) * 1e3:.2f} ms)")


if __name__ == "__main__":
    main()
