//! The Brownian-bridge exit correction (docs/theory.md §4, `exit.bridge = true`):
//! with it the Monte Carlo mean first-passage time hits the exact value at the
//! barrier top itself, without it the once-per-step check exits late by many
//! standard errors; and the GPU draws the same bridge uniforms as the CPU.
//! Fixed seeds; each |z| < 4 check fails falsely with probability 6.3e-5
//! (4 checks: 2.5e-4 in all), plus the residual O(dt) bias, measured below 1 SE here.

use crate::common;

use kramers::analysis::escape::escape_stats;
use kramers::analysis::model1d::one_dimensional;
use kramers::analysis::theory;
use kramers::backend::cpu;
use kramers::spec::Experiment;

fn experiment(bridge: bool, fpt_file: bool) -> Experiment {
    let text = format!(
        r#"
name = "bridge"
seed = 21
dt = 0.01
max_steps = 10000000
trajectories = 40000
[potential]
kind = "barrier"
curvature_min = 1.0
curvature_top = 2.0
height = 0.8
[noise]
kind = "power-law"
d0 = 0.5
d2 = [0.0, 0.2]
interpretation = ["ito", "anti-ito"]
[exit]
kind = "top"
bridge = {bridge}
{}
"#,
        if fpt_file {
            "[observe]\nfpt_file = \"npy\""
        } else {
            ""
        }
    );
    Experiment::from_toml(&text, "bridge").unwrap()
}

#[test]
fn bridge_removes_the_late_exit_bias() {
    for bridge in [true, false] {
        let experiment = experiment(bridge, false);
        let run = cpu::run(&experiment, &|_| {});
        for (case, tally) in experiment.cases.iter().zip(&run.tallies) {
            let (model, start, level) = one_dimensional(&case.model).unwrap();
            let exact = theory::exact_mfpt(&model, start, level).unwrap();
            let stats = escape_stats(tally, case.model.dt, experiment.max_steps);
            let z = (stats.mean.unwrap() - exact) / stats.mean_standard_error.unwrap();
            eprintln!(
                "bridge {bridge}, case {}: mean {:.3} exact {exact:.3} z {z:+.2}",
                case.index,
                stats.mean.unwrap()
            );
            if bridge {
                assert!(
                    z.abs() < 4.0,
                    "with the bridge, case {}: z = {z}",
                    case.index
                );
            } else {
                assert!(
                    z > 4.0,
                    "without the bridge the exit is late, case {}: z = {z}",
                    case.index
                );
            }
        }
    }
}

#[test]
fn gpu_draws_the_same_bridge_crossings() {
    let Some(gpu) = common::gpu() else { return };
    let experiment = experiment(true, true);
    let cpu_run = cpu::run(&experiment, &|_| {});
    let (gpu_run, _) = gpu.run(&experiment, &|_| {}).unwrap();
    let (a, b) = (
        cpu_run.first_passage.unwrap(),
        gpu_run.first_passage.unwrap(),
    );
    let equal = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    assert!(
        equal as f64 >= 0.999 * a.len() as f64,
        "{equal} of {} identical",
        a.len()
    );
}
