// power-law: D = D0 + 2 rho (x - c) + D2 (x - c)^2; slots [D0, rho, D2, c]. Twin of power_law.rs.
fn power_law_step(p: CaseParams, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32 {
    let y = x - slot(p.noise, 3u);
    let variance = slot(p.noise, 0u) + (2.0 * slot(p.noise, 1u) + slot(p.noise, 2u) * y) * y;
    let drift = alpha * (slot(p.noise, 1u) + slot(p.noise, 2u) * y) - gradient;
    return x + drift * dt + sqrt(max(variance, 0.0) * dt) * draw;
}

fn power_law_variance(p: CaseParams, x: f32, loss: f32) -> f32 {
    let y = x - slot(p.noise, 3u);
    return max(slot(p.noise, 0u) + (2.0 * slot(p.noise, 1u) + slot(p.noise, 2u) * y) * y, 0.0);
}
