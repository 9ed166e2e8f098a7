// expr: a formula. POTENTIAL_STATE routes the integrator to the experiment's
// generated user_potential_gradient / user_potential_value (src/model/formula.rs),
// which read the whole state; these per-coordinate entries of the dispatch are
// never called, and yield a value beyond the divergence bound if they were.
fn expr_gradient(p: CaseParams, c: u32, x: f32) -> f32 {
    return 3.0e38;
}

fn expr_value(p: CaseParams, c: u32, x: f32) -> f32 {
    return 3.0e38;
}
