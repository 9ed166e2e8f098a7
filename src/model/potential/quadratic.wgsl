// quadratic: 1/2 H (x - c)^2 per coordinate; slots [H, c]. Twin of quadratic.rs.
fn quadratic_gradient(p: CaseParams, c: u32, x: f32) -> f32 {
    return slot(p.potential, 0u) * (x - slot(p.potential, 1u));
}

fn quadratic_value(p: CaseParams, c: u32, x: f32) -> f32 {
    let y = x - slot(p.potential, 1u);
    return 0.5 * slot(p.potential, 0u) * y * y;
}
