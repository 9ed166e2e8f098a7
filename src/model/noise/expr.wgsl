// expr: a variance formula. NOISE_STATE routes the integrator to the
// experiment's generated user_noise_step / user_noise_variance
// (src/model/formula.rs), which read the whole state before the step; these
// per-coordinate entries of the dispatch are never called, and yield a value
// beyond the divergence bound if they were.
fn expr_step(p: CaseParams, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32 {
    return 3.0e38;
}

fn expr_variance(p: CaseParams, x: f32, loss: f32) -> f32 {
    return 3.0e38;
}
