//! Size limits: 10^8 trajectories of a 1-D Langevin case run on the GPU in
//! slices (larger than one storage binding and one dispatch), every trajectory
//! is counted once, and the process's peak memory stays under 2 GiB.
//! (Alone in its test binary so that the peak memory is this run's.)

use crate::common;

use kramers::spec::Experiment;

fn peak_resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("linux /proc");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn hundred_million_trajectories_in_slices() {
    let Some(gpu) = common::gpu() else { return };
    let text = r#"
name = "10^8 Langevin"
seed = 2
dt = 0.01
max_steps = 6
trajectories = 100000000
[potential]
kind = "barrier"
curvature_min = 1.0
curvature_top = 1.0
height = 0.02
[noise]
kind = "langevin"
d0 = 1.0
[exit]
kind = "top"
"#;
    let experiment = Experiment::from_toml(text, "scale").unwrap();
    let (run, stats) = gpu.run(&experiment, &|_| {}).unwrap();
    let t = &run.tallies[0];
    assert_eq!(t.trajectories, 100_000_000);
    assert_eq!(t.escaped + t.censored + t.diverged, 100_000_000);
    assert_eq!(t.histograms[0].total(), t.escaped + t.censored);
    assert!(stats.slices > 1, "ran in one slice");
    // Some but not all leave within 6 steps; their exact steps are all counted.
    assert!(t.escaped > 0 && t.censored > 0);
    assert!(t.steps_sum >= t.escaped && t.steps_sum <= 6 * t.escaped);
    let peak = peak_resident_bytes();
    eprintln!(
        "{} slices, {} escaped, peak resident {} MiB",
        stats.slices,
        t.escaped,
        peak >> 20
    );
    assert!(peak < 2 << 30, "peak memory {} MiB", peak >> 20);
}
