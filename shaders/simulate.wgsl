// Euler–Maruyama for one trajectory per invocation, `slice.until` steps at most
// per dispatch; CPU twin: src/kernel/simulate.rs. Draw layout: src/rng/stream.rs.
#import params
#import fastmath
#import threefry
#import samplers
#import potentials
#import noise
#import exits

@group(0) @binding(0) var<storage, read> cases: array<CaseParams>;
@group(0) @binding(1) var<uniform> slice: SliceInfo;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
// (steps, outcome): outcome 0 running, 1 censored, 2 escaped, 3 diverged, 4 padding
@group(0) @binding(3) var<storage, read_write> progress: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> active_count: atomic<u32>;
@group(0) @binding(5) var<storage, read> data_set: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn simulate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = (wid.y * nwg.x + wid.x) * WORKGROUP + lid.x;
    let total = slice.per_case * slice.cases;
    if g >= total {
        return;
    }
    var pr = progress[g];
    if pr.y != 0u {
        return;
    }
    let p = cases[slice.first_case + g / slice.per_case];
    let trajectory = slice.first_trajectory + g % slice.per_case;
    let key = vec2<u32>(slice.seed, p.case_index);
    var x: array<f32, DIM>;
    for (var c = 0u; c < DIM; c++) {
        x[c] = state[c * total + g];
    }
    var steps = pr.x;
    var outcome = 0u;
    let until = min(slice.until, p.max_steps);
    var draws: array<array<f32, DIM>, 2>;
    // 1-D Gaussian noise: the step pair's two normals in registers (a
    // dynamically indexed array is memory on some drivers, e.g. llvmpipe)
    var pair_draws = vec2<f32>(0.0, 0.0);
    var gradient: array<f32, DIM>;
    while steps < until && outcome == 0u {
        let pair = steps / 2u;
        if NOISE == 3u {
            let law = stable_law(p);
            for (var s = 0u; s < 2u; s++) {
                for (var c = 0u; c < DIM; c++) {
                    let w = threefry2x32_20(vec2<u32>(trajectory, (2u * pair + s) * DIM + c), key);
                    draws[s][c] = stable(w, law);
                }
            }
        } else if NOISE != 4u {
            for (var i = 0u; i < DIM; i++) {
                let z = box_muller(threefry2x32_20(vec2<u32>(trajectory, pair * DIM + i), key));
                let j0 = 2u * i;
                let j1 = 2u * i + 1u;
                if DIM == 1u {
                    pair_draws = z;
                } else {
                    draws[j0 / DIM][j0 % DIM] = z.x;
                    draws[j1 / DIM][j1 % DIM] = z.y;
                }
            }
        }
        for (var s = 0u; s < 2u; s++) {
            if steps >= p.max_steps {
                break;
            }
            if NOISE == 4u {
                // SGD: minibatch member b of this step is word b & 1 of block
                // steps * ceil(B/2) + b/2, modulo the data size (src/rng/stream.rs).
                let batch = u32(slot(p.noise, 0u));
                let n = slice.data_size;
                var sum: array<f32, DIM>;
                for (var b = 0u; b < batch; b += 2u) {
                    let w = threefry2x32_20(vec2<u32>(trajectory, steps * ((batch + 1u) / 2u) + b / 2u), key);
                    for (var c = 0u; c < DIM; c++) {
                        sum[c] += paper_term_gradient(x[c] - data_set[c * n + w.x % n]);
                    }
                    if b + 1u < batch {
                        for (var c = 0u; c < DIM; c++) {
                            sum[c] += paper_term_gradient(x[c] - data_set[c * n + w.y % n]);
                        }
                    }
                }
                for (var c = 0u; c < DIM; c++) {
                    gradient[c] = slot(p.potential, 0u) * sum[c] / f32(batch);
                }
            } else {
                for (var c = 0u; c < DIM; c++) {
                    gradient[c] = potential_gradient(p, c, x[c]);
                }
            }
            var loss = 0.0;
            if NOISE == 2u {
                for (var c = 0u; c < DIM; c++) {
                    loss += potential_value(p, c, x[c]);
                }
            }
            // Bridge: projection on the exit normal and its variance before the step.
            var before = 0.0;
            var spread = 0.0;
            if BRIDGE == 1u {
                for (var c = 0u; c < DIM; c++) {
                    let n = slot(p.exit_vector, c);
                    before += n * x[c];
                    spread += n * n * noise_variance(p, x[c], loss);
                }
            }
            for (var c = 0u; c < DIM; c++) {
                x[c] = noise_step(p, x[c], gradient[c], loss, p.dt, p.alpha, select(draws[s][c], select(pair_draws.y, pair_draws.x, s == 0u), DIM == 1u && NOISE != 3u));
            }
            var crossed = false;
            if BRIDGE == 1u {
                var after = 0.0;
                for (var c = 0u; c < DIM; c++) {
                    after += slot(p.exit_vector, c) * x[c];
                }
                let w = threefry2x32_20(vec2<u32>(trajectory, steps), vec2<u32>(slice.seed, p.case_index | (1u << 30u)));
                let gap = -2.0 * (p.exit_scalar.x - before) * (p.exit_scalar.x - after);
                crossed = uniform_open_closed(w.x) < fm_exp(gap / (spread * p.dt));
            }
            steps += 1u;
            var bounded = true;
            for (var c = 0u; c < DIM; c++) {
                // On the bits, so that NaN and Inf (exponent all ones) count as
                // unbounded even where the compiler assumes finite floats.
                bounded = bounded && ((bitcast<u32>(x[c]) & 0x7fffffffu) <= bitcast<u32>(DIVERGENCE_BOUND));
            }
            if !bounded {
                outcome = 3u;
                break;
            }
            if exit_contains(p, x) || crossed {
                outcome = 2u;
                break;
            }
        }
    }
    if outcome == 0u && steps >= p.max_steps {
        outcome = 1u;
    }
    for (var c = 0u; c < DIM; c++) {
        state[c * total + g] = x[c];
    }
    progress[g] = vec2<u32>(steps, outcome);
    if outcome == 0u {
        atomicAdd(&active_count, 1u);
    }
}
