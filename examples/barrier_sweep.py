"""Mean escape time against barrier height, from Python: Langevin noise
(constant, D0 = 0.6) against the power-law dynamic (D = D0 + k L), each
height a case of one batched run, the Monte Carlo means with their 95%
intervals and the exact mean first-passage times that kramers computes.

    pip install ./python matplotlib      # from a clone of kramers
    python examples/barrier_sweep.py     # writes barrier_sweep.png
"""

import kramers

HEIGHTS = [0.5, 1.0, 1.5, 2.0]


def experiment(noise):
    return {
        "name": f"barrier sweep, {noise['kind']}",
        "seed": 1,
        "dt": 0.01,
        "max_steps": 3_000_000,
        "trajectories": 4000,
        "potential": {
            "kind": "barrier",
            "curvature_min": 1.0,
            "curvature_top": 2.0,
            "height": HEIGHTS,  # a list: one case per height
        },
        "noise": noise,
        "exit": {"kind": "top", "bridge": True},
    }


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for label, noise in [
        ("Langevin, D = 0.6", {"kind": "langevin", "d0": 0.6}),
        ("power-law, D = 0.6 + 2 L", {"kind": "power-law-loss", "d0": 0.6, "k": 2.0}),
    ]:
        r = kramers.run(experiment(noise), backend="auto")
        mean = [c["fpt"]["mean"] for c in r.cases]
        lo = [c["fpt"]["mean"] - c["fpt"]["ci95"][0] for c in r.cases]
        hi = [c["fpt"]["ci95"][1] - c["fpt"]["mean"] for c in r.cases]
        exact = [c["theory"]["exact_mfpt"] for c in r.cases]
        points = ax.errorbar(HEIGHTS, mean, yerr=[lo, hi], fmt="o", capsize=3, label=f"{label} ({r.backend})")
        ax.plot(HEIGHTS, exact, "-", color=points[0].get_color(), alpha=0.6)
        for h, m, e in zip(HEIGHTS, mean, exact):
            print(f"{label:28s} height {h:3.1f}: MFPT {m:10.2f}, exact {e:10.2f}")
    ax.set_yscale("log")
    ax.set_xlabel("barrier height")
    ax.set_ylabel("mean escape time")
    ax.set_title("points: Monte Carlo (95% CI); lines: exact")
    ax.legend()
    fig.tight_layout()
    fig.savefig("barrier_sweep.png", dpi=120)
    print("wrote barrier_sweep.png")


if __name__ == "__main__":
    main()
