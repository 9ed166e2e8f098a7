// The underdamped scheme: Grønbech-Jensen–Farago (docs/theory.md §8). Twin
// of src/kernel/gjf.rs and of the GJF stage of src/kernel/simulate.rs.
// p.dynamics = (friction gamma, 1 if the start velocity is given, a, b).

// The gradient of L, and L where the noise reads it, at a state: carried from
// one step to the next, so that each step evaluates the force once.
struct Drift {
    gradient: array<f32, DIM>,
    loss: f32,
}

fn drift_at(p: CaseParams, x: array<f32, DIM>) -> Drift {
    var out: Drift;
    if POTENTIAL_STATE {
        out.gradient = user_potential_gradient(p, x);
    } else {
        for (var c = 0u; c < DIM; c++) {
            out.gradient[c] = potential_gradient(p, c, x[c]);
        }
    }
    if NOISE_USES_LOSS && NOISE_READS_LOSS {
        if POTENTIAL_STATE {
            out.loss = user_potential_value(p, x);
        } else {
            for (var c = 0u; c < DIM; c++) {
                out.loss += potential_value(p, c, x[c]);
            }
        }
    }
    return out;
}

// Each coordinate's noise variance D_c(x).
fn gjf_variances(p: CaseParams, x: array<f32, DIM>, d: Drift) -> array<f32, DIM> {
    var out: array<f32, DIM>;
    for (var c = 0u; c < DIM; c++) {
        if NOISE_STATE {
            out[c] = user_noise_variance(p, c, x, d.loss, d.gradient[c]);
        } else {
            out[c] = noise_variance(p, x[c], d.loss);
        }
    }
    return out;
}

// The start velocity: the given one, or Maxwell's N(0, D_c(x) / 2) per
// coordinate from the trajectory's Bridge stream (block c / 2, word c % 2).
fn start_velocity(p: CaseParams, trajectory: u32, x: array<f32, DIM>, d: Drift) -> array<f32, DIM> {
    var v: array<f32, DIM>;
    if p.dynamics.y != 0.0 {
        for (var c = 0u; c < DIM; c++) {
            v[c] = slot(p.start_velocity, c);
        }
        return v;
    }
    let variance = gjf_variances(p, x, d);
    let key = vec2<u32>(slice.seed, p.case_index | STREAM_BRIDGE);
    for (var i = 0u; 2u * i < DIM; i++) {
        let z = box_muller(threefry2x32_20(vec2<u32>(trajectory, i), key));
        v[2u * i] = sqrt(0.5 * variance[2u * i]) * z.x;
        if 2u * i + 1u < DIM {
            v[2u * i + 1u] = sqrt(0.5 * variance[2u * i + 1u]) * z.y;
        }
    }
    return v;
}

// One GJF step of one trajectory; the outcome after it (running, escaped or diverged).
fn advance_gjf(p: CaseParams, x: ptr<function, array<f32, DIM>>, v: ptr<function, array<f32, DIM>>,
               d: ptr<function, Drift>, steps: ptr<function, u32>, draws: array<f32, DIM>,
               draw_1d: f32) -> u32 {
    let gamma = p.dynamics.x;
    let a = p.dynamics.z;
    let b = p.dynamics.w;
    let variance = gjf_variances(p, *x, *d);
    var force: array<f32, DIM>;
    var kick: array<f32, DIM>;
    for (var c = 0u; c < DIM; c++) {
        force[c] = -(*d).gradient[c];
        kick[c] = sqrt(gamma * variance[c] * p.dt) * select(draws[c], draw_1d, DIM == 1u);
        (*x)[c] = (*x)[c] + b * p.dt * ((*v)[c] + 0.5 * p.dt * force[c] + 0.5 * kick[c]);
    }
    *d = drift_at(p, *x);
    for (var c = 0u; c < DIM; c++) {
        let next = -(*d).gradient[c];
        (*v)[c] = a * (*v)[c] + 0.5 * p.dt * (a * force[c] + next) + b * kick[c];
    }
    *steps += 1u;
    var bounded = true;
    for (var c = 0u; c < DIM; c++) {
        bounded = bounded && ((bitcast<u32>((*x)[c]) & 0x7fffffffu) <= bitcast<u32>(DIVERGENCE_BOUND));
    }
    return select(select(OUTCOME_RUNNING, OUTCOME_ESCAPED, exit_contains(p, *x)), OUTCOME_DIVERGED, !bounded);
}
