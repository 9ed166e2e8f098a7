// Puts every trajectory of a slice at its case's start point.
#import params

@group(0) @binding(0) var<storage, read> cases: array<CaseParams>;
@group(0) @binding(1) var<uniform> slice: SliceInfo;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
@group(0) @binding(3) var<storage, read_write> progress: array<vec2<u32>>;

@compute @workgroup_size(WORKGROUP)
fn init(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = (wid.y * nwg.x + wid.x) * WORKGROUP + lid.x;
    let total = slice.per_case * slice.cases;
    if g >= total {
        return;
    }
    let p = cases[slice.first_case + g / slice.per_case];
    for (var c = 0u; c < DIM; c++) {
        state[c * total + g] = slot(p.start, c);
    }
    // padding beyond the slice's trajectories is never simulated or counted
    progress[g] = vec2<u32>(0u, select(OUTCOME_RUNNING, OUTCOME_PADDING, g % slice.per_case >= slice.count));
}
