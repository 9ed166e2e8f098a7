//! Throughput benches: the CPU kernel and the GPU kernel on workload W1
//! (assets/bench/w1.toml, fewer trajectories), one GPU chunk (W1 stopped at
//! 100 steps: a run's fixed cost plus one dispatch), and the random number
//! generator. Without a GPU adapter the GPU benches are skipped with a notice.
//! `cargo bench --bench kernels`; throughput is reported in trajectory-steps.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kramers::backend::{cpu, gpu::Gpu};
use kramers::rng::{box_muller, threefry::threefry2x32_20_lanes};
use kramers::spec::Experiment;
use std::hint::black_box;

const W1: &str = include_str!("../assets/bench/w1.toml");
const TRAJECTORIES: u64 = 1 << 16;

fn w1() -> Experiment {
    Experiment::from_toml(W1, "w1")
        .unwrap()
        .with_trajectories(TRAJECTORIES)
        .unwrap()
}

fn trajectory_steps(experiment: &Experiment) -> u64 {
    let run = cpu::run(experiment, &|_| {});
    run.tallies[0].trajectory_steps(experiment.max_steps)
}

fn kernels(c: &mut Criterion) {
    let experiment = w1();
    let steps = trajectory_steps(&experiment);
    let mut group = c.benchmark_group("W1 power-law double well, 2^16 trajectories");
    group.sample_size(10);
    group.throughput(Throughput::Elements(steps));
    group.bench_function("cpu", |b| {
        b.iter(|| black_box(cpu::run(&experiment, &|_| {})))
    });
    match Gpu::new() {
        Ok(gpu) => {
            let name = format!("gpu: {}", gpu.adapter.name);
            group.bench_function(name, |b| {
                b.iter(|| black_box(gpu.run(&experiment, &|_| {}).unwrap()))
            });
        }
        Err(e) => eprintln!("no GPU bench: {e}"),
    }
    group.finish();

    // One chunk: W1 stopped at 100 steps (the smallest chunk), so a run is one
    // `simulate` dispatch plus what every run costs (pipelines, init, tally,
    // read-back).
    let one_chunk = Experiment::from_toml(&W1.replace("max_steps = 1000", "max_steps = 100"), "w1")
        .unwrap()
        .with_trajectories(TRAJECTORIES)
        .unwrap();
    let mut group = c.benchmark_group("W1, one GPU chunk of 100 steps, 2^16 trajectories");
    group.sample_size(10);
    group.throughput(Throughput::Elements(trajectory_steps(&one_chunk)));
    match Gpu::new() {
        Ok(gpu) => {
            let name = format!("gpu: {}", gpu.adapter.name);
            group.bench_function(name, |b| {
                b.iter(|| black_box(gpu.run(&one_chunk, &|_| {}).unwrap()))
            });
        }
        Err(e) => eprintln!("no GPU chunk bench: {e}"),
    }
    group.finish();

    let mut group = c.benchmark_group("rng");
    const BLOCKS: u32 = 1 << 16;
    group.throughput(Throughput::Elements(2 * BLOCKS as u64));
    group.bench_function("threefry2x32-20 + box-muller, 32 lanes (normals)", |b| {
        b.iter(|| {
            let mut sum = 0f32;
            for block in 0..BLOCKS / 32 {
                let c0: [u32; 32] = std::array::from_fn(|l| l as u32);
                let c1 = [block; 32];
                let (w0, w1) = threefry2x32_20_lanes(&c0, &c1, [7, 0]);
                for l in 0..32 {
                    let (z0, z1) = box_muller(w0[l], w1[l]);
                    sum += z0 + z1;
                }
            }
            black_box(sum)
        })
    });
    group.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
