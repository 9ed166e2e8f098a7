// double-well: h ((x/a)^2 - 1)^2 per coordinate; slots [h, a, 4h/a^2, 1/a^2]. Twin of double_well.rs.
fn double_well_gradient(p: CaseParams, c: u32, x: f32) -> f32 {
    return slot(p.potential, 2u) * x * (x * x * slot(p.potential, 3u) - 1.0);
}

fn double_well_value(p: CaseParams, c: u32, x: f32) -> f32 {
    let s = x * x * slot(p.potential, 3u) - 1.0;
    return slot(p.potential, 0u) * s * s;
}
