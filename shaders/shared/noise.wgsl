// Noise models (SPEC §2): one coordinate's Euler–Maruyama update; twin of src/kernel/noise.rs.
// NOISE: 0 langevin, 1 power-law, 2 power-law-loss, 3 alpha-stable, 4 sgd (prelude constant).
// SGD's minibatch gradient arrives as `gradient` (simulate.wgsl).

fn noise_step(p: CaseParams, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32 {
    if NOISE == 0u {
        return x - gradient * dt + sqrt(slot(p.noise, 0u) * dt) * draw;
    } else if NOISE == 1u {
        let y = x - slot(p.noise, 3u);
        let variance = slot(p.noise, 0u) + (2.0 * slot(p.noise, 1u) + slot(p.noise, 2u) * y) * y;
        let drift = alpha * (slot(p.noise, 1u) + slot(p.noise, 2u) * y) - gradient;
        return x + drift * dt + sqrt(max(variance, 0.0) * dt) * draw;
    } else if NOISE == 2u {
        let variance = slot(p.noise, 0u) + slot(p.noise, 1u) * (loss - slot(p.noise, 2u));
        let drift = (alpha * 0.5 * slot(p.noise, 1u) - 1.0) * gradient;
        return x + drift * dt + sqrt(max(variance, 0.0) * dt) * draw;
    } else if NOISE == 3u {
        return x - gradient * dt + slot(p.noise, 0u) * draw;
    } else {
        return x - gradient * dt;
    }
}

// (alpha, beta, shift, scale) of the stable law.
fn stable_law(p: CaseParams) -> vec4<f32> {
    return vec4<f32>(slot(p.noise, 1u), slot(p.noise, 2u), slot(p.noise, 3u), slot(p.noise, 4u));
}

// The variance D(x) of one coordinate (0 for stable noise), for the bridge correction.
fn noise_variance(p: CaseParams, x: f32, loss: f32) -> f32 {
    if NOISE == 0u {
        return slot(p.noise, 0u);
    } else if NOISE == 1u {
        let y = x - slot(p.noise, 3u);
        return max(slot(p.noise, 0u) + (2.0 * slot(p.noise, 1u) + slot(p.noise, 2u) * y) * y, 0.0);
    } else if NOISE == 2u {
        return max(slot(p.noise, 0u) + slot(p.noise, 1u) * (loss - slot(p.noise, 2u)), 0.0);
    }
    return 0.0;
}
