// Euler–Maruyama, one lane per invocation. A lane steps one trajectory of its
// case at a time and, when that one ends, takes the case's next unstarted one,
// so that a SIMD group (llvmpipe's 8-wide vectors, a GPU's warps) stays busy
// until its case runs out of trajectories, instead of idling until its slowest
// member escapes. At most `slice.budget` steps per lane and dispatch; the host
// dispatches until no lane holds a running trajectory. Which lane steps which
// trajectory changes nothing: every draw is a function of (trajectory, step).
// CPU twin: src/kernel/simulate.rs. Draw layout: src/rng/stream.rs.
#import params
#import fastmath
#import threefry
#import samplers
#import potentials
#import noise
#import exits
#import gjf
#import user

@group(0) @binding(0) var<storage, read> cases: array<CaseParams>;
@group(0) @binding(1) var<uniform> slice: SliceInfo;
// Per trajectory slot g (case slot c = g / per_case, trajectory first_trajectory + g % per_case):
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
// (steps, outcome): an OUTCOME_* code (the prelude, from src/kernel/codes.rs)
@group(0) @binding(3) var<storage, read_write> progress: array<vec2<u32>>;
// [0]: lanes still running after this dispatch; [1 + c]: the next unstarted trajectory of case slot c
@group(0) @binding(4) var<storage, read_write> counters: array<atomic<u32>>;
// The trajectory slot each lane is stepping, or NO_SLOT
@group(0) @binding(6) var<storage, read_write> lanes: array<u32>;
// The data points of paper-2d and sgd, coordinate-major (c * data_size + i):
// SGD's minibatch gathers them at random indices from the storage buffer; the
// full gradient of paper-2d reads them at the same index in every lane from a
// uniform view of the same buffer (llvmpipe loads a storage buffer lane by lane
// with a bounds check each; a GPU's constant cache serves a uniform index at
// once). MAX_DATA_SIZE points x 2 coordinates = DATA_VECTORS x 4 (src/spec).
@group(0) @binding(5) var<storage, read> data_set: array<f32>;
@group(0) @binding(7) var<uniform> data_points: array<vec4<f32>, DATA_VECTORS>;

const DATA_VECTORS: u32 = 2048u;

fn datum(k: u32) -> f32 {
    return data_points[k / 4u][k % 4u];
}

const NO_SLOT: u32 = 0xffffffffu;
// Step pairs between two looks at the queue (keep in sync with BLOCK_PAIRS in src/backend/gpu/plan.rs).
const BLOCK_PAIRS: u32 = 16u;

@compute @workgroup_size(WORKGROUP)
fn simulate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
    let lane = (wid.y * nwg.x + wid.x) * WORKGROUP + lid.x;
    if lane >= slice.lanes_per_case * slice.cases {
        return;
    }
    var g = lanes[lane];
    if g == NO_SLOT {
        return;
    }
    let total = slice.per_case * slice.cases;
    let case_slot = lane / slice.lanes_per_case;
    let p = cases[slice.first_case + case_slot];
    let key = vec2<u32>(slice.seed, p.case_index);
    let bridge_key = vec2<u32>(slice.seed, p.case_index | STREAM_BRIDGE);
    var trajectory = slice.first_trajectory + g % slice.per_case;
    var x: array<f32, DIM>;
    for (var c = 0u; c < DIM; c++) {
        x[c] = state[c * total + g];
    }
    var steps = progress[g].x;
    // Underdamped: the velocity (drawn at a trajectory's start) and the drift
    // at x, carried between steps (shaders/shared/gjf.wgsl).
    // Heavy ball: the velocity (0 at a trajectory's start), carried likewise.
    var v: array<f32, DIM>;
    var drift: Drift;
    if UNDERDAMPED {
        drift = drift_at(p, x);
        if steps == 0u {
            v = start_velocity(p, trajectory, x, drift);
        }
    }
    if (UNDERDAMPED || HEAVY_BALL) && steps != 0u {
        for (var c = 0u; c < DIM; c++) {
            v[c] = state[(DIM + c) * total + g];
        }
    }
    var spent = 0u;
    var outcome = OUTCOME_RUNNING;
    // Software-pipelined: the next pair's draws are made while this pair steps,
    // two independent dependency chains for the CPU (llvmpipe) or GPU to overlap.
    var current = draw_pair(p, trajectory, key, steps / 2u);
    while spent < slice.budget && g != NO_SLOT {
        // A block of pairs without looking at the queue: llvmpipe runs every
        // branch for all lanes of a vector, so the refill below costs the same
        // whether one lane needs it or none, and is paid once per block.
        for (var i = 0u; i < BLOCK_PAIRS; i++) {
            let next = draw_pair(p, trajectory, key, steps / 2u + 1u);
            if UNDERDAMPED {
                if outcome == OUTCOME_RUNNING {
                    outcome = advance_gjf(p, &x, &v, &drift, &steps, current.draws[0], current.one_d.x);
                }
                if outcome == OUTCOME_RUNNING && steps < p.max_steps {
                    outcome = advance_gjf(p, &x, &v, &drift, &steps, current.draws[1], current.one_d.y);
                }
            } else if HEAVY_BALL && slot(p.noise, 1u) != 0.0 {
                // (a case of momentum 0 in a swept heavy-ball run steps as plain SGD below)
                if outcome == OUTCOME_RUNNING {
                    outcome = advance_heavy_ball(p, &x, &v, &steps, trajectory, key);
                }
                if outcome == OUTCOME_RUNNING && steps < p.max_steps {
                    outcome = advance_heavy_ball(p, &x, &v, &steps, trajectory, key);
                }
            } else {
                if outcome == OUTCOME_RUNNING {
                    outcome = advance(p, &x, &steps, trajectory, key, current.draws[0], current.one_d.x, trajectory, bridge_key);
                }
                if outcome == OUTCOME_RUNNING && steps < p.max_steps {
                    outcome = advance(p, &x, &steps, trajectory, key, current.draws[1], current.one_d.y, trajectory, bridge_key);
                }
            }
            if outcome == OUTCOME_RUNNING && steps >= p.max_steps {
                outcome = OUTCOME_CENSORED;
            }
            current = next;
        }
        spent += 2u * BLOCK_PAIRS;
        if outcome != OUTCOME_RUNNING {
            // Record the ended trajectory; take the case's next one.
            save(g, total, x, v, steps, outcome);
            let k = atomicAdd(&counters[1u + case_slot], 1u);
            if k < slice.count {
                g = case_slot * slice.per_case + k;
                trajectory = slice.first_trajectory + k;
                for (var c = 0u; c < DIM; c++) {
                    x[c] = slot(p.start, c);
                }
                steps = 0u;
                outcome = OUTCOME_RUNNING;
                current = draw_pair(p, trajectory, key, 0u);
                if UNDERDAMPED {
                    drift = drift_at(p, x);
                    v = start_velocity(p, trajectory, x, drift);
                }
                if HEAVY_BALL {
                    v = array<f32, DIM>();
                }
            } else {
                g = NO_SLOT;
            }
        }
    }
    lanes[lane] = g;
    if g != NO_SLOT {
        save(g, total, x, v, steps, OUTCOME_RUNNING);
        atomicAdd(&counters[0], 1u);
    }
}

// Trajectory slot g's state (the velocity after the position when
// underdamped or heavy ball), steps and outcome (OUTCOME_RUNNING while it runs).
fn save(g: u32, total: u32, x: array<f32, DIM>, v: array<f32, DIM>, steps: u32, outcome: u32) {
    for (var c = 0u; c < DIM; c++) {
        state[c * total + g] = x[c];
    }
    if UNDERDAMPED || HEAVY_BALL {
        for (var c = 0u; c < DIM; c++) {
            state[(DIM + c) * total + g] = v[c];
        }
    }
    progress[g] = vec2<u32>(steps, outcome);
}

// One Euler–Maruyama step of one trajectory; the outcome after it (running,
// escaped or diverged). `trajectory` and `key` name the noise stream,
// `bridge_counter` and `bridge_key` the bridge uniforms' (src/rng/stream.rs).
fn advance(p: CaseParams, x: ptr<function, array<f32, DIM>>, steps: ptr<function, u32>, trajectory: u32,
           key: vec2<u32>, draws: array<f32, DIM>, draw_1d: f32, bridge_counter: u32,
           bridge_key: vec2<u32>) -> u32 {
    var gradient: array<f32, DIM>;
    if NOISE_MINIBATCH {
        gradient = minibatch_gradient(p, *x, *steps, trajectory, key);
    } else if POTENTIAL_STATE {
        // A formula (src/model/formula.rs): the gradient of the whole state.
        gradient = user_potential_gradient(p, *x);
    } else {
        for (var c = 0u; c < DIM; c++) {
            gradient[c] = potential_gradient(p, c, (*x)[c]);
        }
    }
    var loss = 0.0;
    // NOISE_READS_LOSS: false for a variance formula without `u`
    if NOISE_USES_LOSS && NOISE_READS_LOSS {
        if POTENTIAL_STATE {
            loss = user_potential_value(p, *x);
        } else {
            for (var c = 0u; c < DIM; c++) {
                loss += potential_value(p, c, (*x)[c]);
            }
        }
    }
    // The bridge: the state and each coordinate's noise variance before the step.
    let before = *x;
    var variance: array<f32, DIM>;
    if BRIDGE == 1u {
        for (var c = 0u; c < DIM; c++) {
            if NOISE_STATE {
                variance[c] = user_noise_variance(p, c, *x, loss, gradient[c]);
            } else {
                variance[c] = noise_variance(p, (*x)[c], loss);
            }
        }
    }
    if NOISE_STATE {
        // A variance formula reads every coordinate before the step.
        for (var c = 0u; c < DIM; c++) {
            (*x)[c] = user_noise_step(p, c, before, (*x)[c], gradient[c], loss, p.dt, p.alpha, select(draws[c], draw_1d, DIM == 1u));
        }
    } else {
        for (var c = 0u; c < DIM; c++) {
            (*x)[c] = noise_step(p, (*x)[c], gradient[c], loss, p.dt, p.alpha, select(draws[c], draw_1d, DIM == 1u && !NOISE_STABLE));
        }
    }
    var crossed = false;
    if BRIDGE == 1u {
        // docs/theory.md §4: a step that stays inside left in between with the exit set's bridge probability.
        // A coupled run's step k reads the uniform of the fine run's step
        // 2k + 1, which ends where it ends (docs/theory.md §10).
        let block = select(*steps, 2u * *steps + 1u, slice.coupled == 1u);
        let w = threefry2x32_20(vec2<u32>(bridge_counter, block), bridge_key);
        crossed = uniform_open_closed(w.x) < exit_crossing(p, before, *x, variance, p.dt);
    }
    *steps += 1u;
    var bounded = true;
    for (var c = 0u; c < DIM; c++) {
        bounded = bounded && ((bitcast<u32>((*x)[c]) & 0x7fffffffu) <= bitcast<u32>(DIVERGENCE_BOUND));
    }
    return select(select(OUTCOME_RUNNING, OUTCOME_ESCAPED, exit_contains(p, *x) || crossed), OUTCOME_DIVERGED, !bounded);
}

// SGD's minibatch gradient at step `steps` of trajectory `trajectory`: B data
// points drawn with replacement, two per Threefry block (src/rng/stream.rs).
// CPU twin: `minibatch` in src/kernel/simulate.rs with the potential's
// `minibatch_gradient_lanes`.
fn minibatch_gradient(p: CaseParams, x: array<f32, DIM>, steps: u32, trajectory: u32,
                      key: vec2<u32>) -> array<f32, DIM> {
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
    var gradient: array<f32, DIM>;
    for (var c = 0u; c < DIM; c++) {
        gradient[c] = slot(p.potential, 0u) * sum[c] / f32(batch);
    }
    return gradient;
}

// One heavy-ball SGD step (noise.momentum = mu > 0): v <- mu v - eta g_B(x),
// x <- x + v, with the minibatch of plain SGD's step; the outcome after it.
// CPU twin: the heavy-ball stage of src/kernel/simulate.rs.
fn advance_heavy_ball(p: CaseParams, x: ptr<function, array<f32, DIM>>, v: ptr<function, array<f32, DIM>>,
                      steps: ptr<function, u32>, trajectory: u32, key: vec2<u32>) -> u32 {
    let gradient = minibatch_gradient(p, *x, *steps, trajectory, key);
    let momentum = slot(p.noise, 1u);
    var bounded = true;
    for (var c = 0u; c < DIM; c++) {
        let velocity = momentum * (*v)[c] - gradient[c] * p.dt;
        (*v)[c] = velocity;
        (*x)[c] = (*x)[c] + velocity;
        bounded = bounded && ((bitcast<u32>((*x)[c]) & 0x7fffffffu) <= bitcast<u32>(DIVERGENCE_BOUND));
    }
    *steps += 1u;
    return select(select(OUTCOME_RUNNING, OUTCOME_ESCAPED, exit_contains(p, *x)), OUTCOME_DIVERGED, !bounded);
}

struct PairDraws {
    draws: array<array<f32, DIM>, 2>,
    // 1-D Gaussian noise: the pair's two normals (a dynamically indexed array
    // is memory on some drivers, e.g. llvmpipe)
    one_d: vec2<f32>,
}

// The draws of step pair `pair` (steps 2 pair and 2 pair + 1); none for SGD.
// A coupled run (the coarse half of an extrapolated one, docs/theory.md §10):
// Gaussian step k draws (z_2k + z_2k+1) / sqrt 2 of the run at half the step,
// the normals of that run's pair k. CPU twin: `draw_pair` in src/kernel/simulate.rs.
fn draw_pair(p: CaseParams, trajectory: u32, key: vec2<u32>, pair: u32) -> PairDraws {
    if slice.coupled == 0u || NOISE_STABLE || NOISE_MINIBATCH {
        return draw_fine_pair(p, trajectory, key, pair);
    }
    let a = draw_fine_pair(p, trajectory, key, 2u * pair);
    let b = draw_fine_pair(p, trajectory, key, 2u * pair + 1u);
    var out: PairDraws;
    out.one_d = vec2<f32>(a.one_d.x + a.one_d.y, b.one_d.x + b.one_d.y) * FRAC_1_SQRT_2;
    for (var c = 0u; c < DIM; c++) {
        out.draws[0][c] = (a.draws[0][c] + a.draws[1][c]) * FRAC_1_SQRT_2;
        out.draws[1][c] = (b.draws[0][c] + b.draws[1][c]) * FRAC_1_SQRT_2;
    }
    return out;
}

const FRAC_1_SQRT_2: f32 = 0.70710678118654752;

// The draws of step pair `pair` as a run that is not coupled makes them.
fn draw_fine_pair(p: CaseParams, trajectory: u32, key: vec2<u32>, pair: u32) -> PairDraws {
    var out: PairDraws;
    if NOISE_STABLE {
        let law = stable_law(p);
        for (var s = 0u; s < 2u; s++) {
            for (var c = 0u; c < DIM; c++) {
                let w = threefry2x32_20(vec2<u32>(trajectory, (2u * pair + s) * DIM + c), key);
                out.draws[s][c] = stable(w, law);
            }
        }
    } else if !NOISE_MINIBATCH {
        for (var i = 0u; i < DIM; i++) {
            let z = box_muller(threefry2x32_20(vec2<u32>(trajectory, pair * DIM + i), key));
            let j0 = 2u * i;
            let j1 = 2u * i + 1u;
            if DIM == 1u {
                out.one_d = z;
            } else {
                out.draws[j0 / DIM][j0 % DIM] = z.x;
                out.draws[j1 / DIM][j1 % DIM] = z.y;
            }
        }
    }
    return out;
}

// Rare-event splitting's segments (src/rare; CPU twin: the `segments` mode of
// src/kernel/simulate.rs): one invocation per segment j < slice.count of case
// cases[slice.first_case], from its state on its own stream (counter word
// jobs[j].counter for the noise, + 1 for the bridge, key purpose STREAM_RARE),
// at most slice.budget steps per dispatch, until the exit, max_steps, its
// score falling to jobs[j].lo (OUTCOME_RETURNED) or first exceeding
// jobs[j].hi (OUTCOME_CUT, also at step 0). best[j]: its largest score.
// The host dispatches until no segment runs (counters[0] = 0).
struct SegmentJob {
    counter: u32,
    lo: f32,
    hi: f32,
    pad: u32,
}

@group(0) @binding(8) var<storage, read> jobs: array<SegmentJob>;
@group(0) @binding(9) var<storage, read_write> best: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn segment(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = (wid.y * nwg.x + wid.x) * WORKGROUP + lid.x;
    if j >= slice.count {
        return;
    }
    var outcome = progress[j].y;
    if outcome != OUTCOME_RUNNING {
        return;
    }
    let p = cases[slice.first_case];
    let job = jobs[j];
    let key = vec2<u32>(slice.seed, p.case_index | STREAM_RARE);
    var x: array<f32, DIM>;
    for (var c = 0u; c < DIM; c++) {
        x[c] = state[c * slice.count + j];
    }
    var steps = progress[j].x;
    var top = best[j];
    if steps == 0u {
        top = exit_score(p, x);
        if top > job.hi {
            outcome = OUTCOME_CUT;
        }
    }
    var spent = 0u;
    while spent < slice.budget && outcome == OUTCOME_RUNNING {
        let pair = draw_pair(p, job.counter, key, steps / 2u);
        outcome = advance(p, &x, &steps, job.counter, key, pair.draws[0], pair.one_d.x, job.counter + 1u, key);
        outcome = segment_check(p, x, steps, outcome, job, &top);
        if outcome == OUTCOME_RUNNING {
            outcome = advance(p, &x, &steps, job.counter, key, pair.draws[1], pair.one_d.y, job.counter + 1u, key);
            outcome = segment_check(p, x, steps, outcome, job, &top);
        }
        spent += 2u;
    }
    for (var c = 0u; c < DIM; c++) {
        state[c * slice.count + j] = x[c];
    }
    progress[j] = vec2<u32>(steps, outcome);
    best[j] = top;
    if outcome == OUTCOME_RUNNING {
        atomicAdd(&counters[0], 1u);
    }
}

// After a segment's step: its best score, then cut, returned or censored.
fn segment_check(p: CaseParams, x: array<f32, DIM>, steps: u32, outcome: u32, job: SegmentJob,
                 top: ptr<function, f32>) -> u32 {
    let score = exit_score(p, x);
    *top = max(*top, score);
    if outcome != OUTCOME_RUNNING {
        return outcome;
    }
    if score > job.hi {
        return OUTCOME_CUT;
    }
    if score <= job.lo {
        return OUTCOME_RETURNED;
    }
    return select(OUTCOME_RUNNING, OUTCOME_CENSORED, steps >= p.max_steps);
}

// The probability that a Brownian bridge of variance spread * dt between two
// points at distances d0 and d1 inside a flat boundary touched it (docs/theory.md §4).
// Twin of src/kernel/exits.rs `bridge_probability`.
fn bridge_probability(d0: f32, d1: f32, spread: f32, dt: f32) -> f32 {
    let gap = -2.0 * d0 * d1;
    return fm_exp(gap / (spread * dt));
}
