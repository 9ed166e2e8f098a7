// sgd: x - dt g_B(x), the minibatch gradient g_B drawn by simulate.wgsl (NOISE_MINIBATCH); slots [B].
// Twin of sgd.rs.
fn sgd_step(p: CaseParams, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32 {
    return x - gradient * dt;
}

fn sgd_variance(p: CaseParams, x: f32, loss: f32) -> f32 {
    return 0.0;
}
