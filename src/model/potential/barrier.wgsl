// barrier: parabola of curvature Ha up to the kink, inverted parabola of curvature Hb after;
// slots [Ha, Hb, dL, a, kink, top]. Twin of barrier.rs.
fn barrier_gradient(p: CaseParams, c: u32, x: f32) -> f32 {
    let well = slot(p.potential, 0u) * (x - slot(p.potential, 3u));
    let cap = slot(p.potential, 1u) * (slot(p.potential, 5u) - x);
    return select(cap, well, x <= slot(p.potential, 4u));
}

fn barrier_value(p: CaseParams, c: u32, x: f32) -> f32 {
    let a = x - slot(p.potential, 3u);
    let b = x - slot(p.potential, 5u);
    let well = 0.5 * slot(p.potential, 0u) * a * a;
    let cap = slot(p.potential, 2u) - 0.5 * slot(p.potential, 1u) * b * b;
    return select(cap, well, x <= slot(p.potential, 4u));
}
