// langevin: D = D0; slots [D0]. Twin of langevin.rs.
fn langevin_step(p: CaseParams, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32 {
    return x - gradient * dt + sqrt(slot(p.noise, 0u) * dt) * draw;
}

fn langevin_variance(p: CaseParams, x: f32, loss: f32) -> f32 {
    return slot(p.noise, 0u);
}
