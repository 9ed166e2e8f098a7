// Per-case record: `CaseParams` in src/kernel/abi.rs (208 bytes; naga reflection checks the layout in the tests of src/backend/gpu.rs).
struct CaseParams {
    dt: f32,
    alpha: f32,
    max_steps: u32,
    case_index: u32,
    potential: array<vec4<f32>, 2>,
    noise: array<vec4<f32>, 2>,
    start: array<vec4<f32>, 2>,
    exit_vector: array<vec4<f32>, 2>,
    exit_scalar: vec4<f32>,
    // underdamped: (friction, 1 if start_velocity is given, GJF's a, GJF's b)
    dynamics: vec4<f32>,
    start_velocity: array<vec4<f32>, 2>,
}

fn slot(v: array<vec4<f32>, 2>, i: u32) -> f32 {
    return v[i / 4u][i % 4u];
}

// One slice of a run: trajectories `first .. first + count` of every case,
// case slot c's trajectories in slots `c * per_case ..`, stepped by lanes
// `c * lanes_per_case ..`. `SliceInfo` in src/backend/gpu.rs (layout checked by naga reflection in its tests).
struct SliceInfo {
    first_trajectory: u32,
    per_case: u32,
    count: u32,
    cases: u32,
    // most steps per lane in one simulate dispatch (even)
    budget: u32,
    seed: u32,
    data_size: u32,
    first_case: u32,
    lanes_per_case: u32,
    // 1: the coarse half of an extrapolated run: each step's normals are the
    // sums of the next finer run's two, over sqrt 2 (src/spec: Experiment::coupled)
    coupled: u32,
    pad1: u32,
    pad2: u32,
}
