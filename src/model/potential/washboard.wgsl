// washboard: -F x - A cos(2 pi x / P); slots [F, A, P, 1/P, 2 pi A / P]. Twin of washboard.rs,
// with the shared Cephes sin_cos_turns (fastmath.wgsl) as on the CPU.
fn washboard_gradient(p: CaseParams, c: u32, x: f32) -> f32 {
    let turn = sin_cos_turns(x * slot(p.potential, 3u));
    return slot(p.potential, 4u) * turn.x - slot(p.potential, 0u);
}

fn washboard_value(p: CaseParams, c: u32, x: f32) -> f32 {
    let turn = sin_cos_turns(x * slot(p.potential, 3u));
    return -slot(p.potential, 0u) * x - slot(p.potential, 1u) * turn.y;
}
