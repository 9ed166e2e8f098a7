// power-law-loss: D = D0 + k (L - L_min) in every coordinate; slots [D0, k, L_min]. Twin of power_law_loss.rs.
fn power_law_loss_step(p: CaseParams, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32 {
    let variance = slot(p.noise, 0u) + slot(p.noise, 1u) * (loss - slot(p.noise, 2u));
    let drift = (alpha * 0.5 * slot(p.noise, 1u) - 1.0) * gradient;
    return x + drift * dt + sqrt(max(variance, 0.0) * dt) * draw;
}

fn power_law_loss_variance(p: CaseParams, x: f32, loss: f32) -> f32 {
    return max(slot(p.noise, 0u) + slot(p.noise, 1u) * (loss - slot(p.noise, 2u)), 0.0);
}
