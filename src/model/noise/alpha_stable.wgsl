// alpha-stable: increment sigma dt^(1/a) S; slots [sigma dt^(1/a), a, beta, B, S]. Twin of alpha_stable.rs.
fn alpha_stable_step(p: CaseParams, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32 {
    return x - gradient * dt + slot(p.noise, 0u) * draw;
}

fn alpha_stable_variance(p: CaseParams, x: f32, loss: f32) -> f32 {
    return 0.0;
}

// (alpha, beta, shift, scale) of the stable law, for the draws (simulate.wgsl, NOISE_STABLE).
fn stable_law(p: CaseParams) -> vec4<f32> {
    return vec4<f32>(slot(p.noise, 1u), slot(p.noise, 2u), slot(p.noise, 3u), slot(p.noise, 4u));
}
