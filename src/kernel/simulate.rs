//! The integrator: Euler–Maruyama on [`LANES`] trajectories of one case at a
//! time, each from its start point to first passage or `max_steps`; a lane
//! whose trajectory stops takes the next one of the range at the next step
//! pair, so cost follows the escape times. CPU twin of `shaders/simulate.wgsl`;
//! random draws follow the layout of [`crate::rng::stream`].
//!
//! `DIM` is the array size (1, 2 or [`MAX_DIM`](crate::dynamics::MAX_DIM)); `dim <= DIM` coordinates are used.

use super::exits::ExitSet;
use super::noise::Noise;
use super::potentials::Potential;
use crate::kernel::abi::CaseParams;
use crate::rng::samplers::{box_muller, stable, uniform_open_closed};
use crate::rng::threefry::threefry2x32_20_lanes;
use crate::simd::{Aligned, Lanes, LANES};

pub use crate::codes::Outcome as Code;

pub use crate::codes::DIVERGENCE_BOUND;

/// How one trajectory ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome<const DIM: usize> {
    /// The trajectory's index within its case (the segment's index for rare-event segments).
    pub trajectory: u32,
    /// First-passage step (1-based); 0 when censored or diverged.
    pub first_passage: u32,
    /// A coordinate went beyond [`DIVERGENCE_BOUND`] or became NaN/Inf.
    pub diverged: bool,
    /// State at exit, at divergence, or after `max_steps`.
    pub state: [f32; DIM],
    /// The velocity then (dynamics with a velocity; zero otherwise).
    pub velocity: [f32; DIM],
    /// How it ended.
    pub code: Code,
    /// Steps taken.
    pub steps: u32,
    /// Rare-event segments: the largest exit score along it, start included (0 otherwise).
    pub best: f32,
}

/// Rare-event segments ([`crate::rare`]): trajectory `t` of a [`simulate`]
/// call is segment `t`, started from its own state on its own stream and
/// stopped, besides the exit and `max_steps`, when its exit score (see
/// [`ExitSet::score`]) falls to `levels[t][0]` ([`Code::Returned`]) or first
/// exceeds `levels[t][1]` ([`Code::Cut`]).
pub struct Segments<'a> {
    /// Start states, `dim` values per segment.
    pub start: &'a [f32],
    /// Counter word 0 of each segment's noise; its bridge uniforms use the next one.
    pub counter: &'a [u32],
    /// `[return level, stop level]` of each segment's exit score.
    pub levels: &'a [[f32; 2]],
}

/// How a rare-event segment ended ([`crate::backend::Backend::run_segments`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SegmentEnd {
    /// The state it stopped in (`dim` coordinates used).
    pub state: [f32; crate::dynamics::MAX_DIM],
    /// How it ended: [`Code::Returned`], [`Code::Cut`], escaped, censored or diverged.
    pub code: Code,
    /// Steps it took.
    pub steps: u32,
    /// The largest exit score along it, its start included.
    pub best: f32,
}

impl Default for SegmentEnd {
    fn default() -> Self {
        SegmentEnd {
            state: [0.0; crate::dynamics::MAX_DIM],
            code: Code::Padding,
            steps: 0,
            best: 0.0,
        }
    }
}

/// The numbers of one case, as the kernel reads them.
pub struct CaseKernel<'a, P, N, E> {
    /// The case's potential, built from its record.
    pub potential: P,
    /// The case's noise model, built from its record.
    pub noise: N,
    /// The case's exit set, built from its record.
    pub exit: E,
    /// The case's record: `dt`, `alpha`, `max_steps`, start point and model slots.
    pub params: &'a CaseParams,
    /// State dimension: coordinates used of the `DIM` (at most `DIM`).
    pub dim: usize,
    /// Threefry key of the noise: `[seed, case | purpose << 30]`, purpose `Dynamics`
    /// (`Rare` for segments).
    pub key: [u32; 2],
    /// Brownian-bridge exit correction, with the key of its uniforms.
    pub bridge: Option<[u32; 2]>,
    /// When set, stop early (the outcomes then are partial: the caller drops them).
    pub cancel: Option<&'a std::sync::atomic::AtomicBool>,
    /// Rare-event segments instead of trajectories from the case's start.
    pub segments: Option<&'a Segments<'a>>,
    /// The coarse half of an extrapolated run (docs/theory.md §10): Gaussian
    /// step `k` draws `(z_2k + z_2k+1) / sqrt 2` of the run at half the step.
    pub coupled: bool,
    /// Underdamped dynamics, stepped by GJF ([`super::gjf`]) instead of Euler–Maruyama.
    pub underdamped: Option<Underdamped>,
    /// Heavy-ball SGD (minibatch noise with momentum): `v <- mu v - dt g_B`,
    /// `x <- x + v`, `v = 0` at a trajectory's start.
    pub heavy_ball: bool,
}

/// What the underdamped scheme reads besides the case's record.
#[derive(Clone, Copy, Debug)]
pub struct Underdamped {
    /// Threefry key of the Maxwell start velocities (the case's `Bridge` stream).
    pub maxwell_key: [u32; 2],
}

/// Step pairs between two looks at [`CaseKernel::cancel`] (about a millisecond).
const CANCEL_EVERY: u32 = 1024;

/// The draws of one step pair: `draws[s][c]` for step `2 pair + s`, coordinate `c`;
/// `pair` differs per lane. `coupled` (Gaussian noise): step `k` draws
/// `(z_2k + z_2k+1) / sqrt 2`, the normals of pair `k` of the run at half
/// the step. WGSL twin: `draw_pair` in shaders/simulate.wgsl.
#[inline(always)]
fn draw_pair<N: Noise, const DIM: usize>(
    noise: &N,
    trajectory: &[u32; LANES],
    pair: &[u32; LANES],
    dim: usize,
    key: [u32; 2],
    coupled: bool,
    draws: &mut [[Lanes; DIM]; 2],
) {
    if coupled && !N::SGD && !N::STABLE {
        let mut fine = [[[0f32; LANES]; DIM]; 2];
        for (s, out) in draws.iter_mut().enumerate() {
            let mut fine_pair = [0u32; LANES];
            for l in 0..LANES {
                fine_pair[l] = 2 * pair[l] + s as u32;
            }
            draw_fine_pair(noise, trajectory, &fine_pair, dim, key, &mut fine);
            for c in 0..dim {
                for l in 0..LANES {
                    out[c][l] = (fine[0][c][l] + fine[1][c][l]) * std::f32::consts::FRAC_1_SQRT_2;
                }
            }
        }
        return;
    }
    draw_fine_pair(noise, trajectory, pair, dim, key, draws);
}

/// [`draw_pair`] of a run that is not coupled.
#[inline(always)]
fn draw_fine_pair<N: Noise, const DIM: usize>(
    noise: &N,
    trajectory: &[u32; LANES],
    pair: &[u32; LANES],
    dim: usize,
    key: [u32; 2],
    draws: &mut [[Lanes; DIM]; 2],
) {
    let d = dim as u32;
    if N::SGD {
        return;
    }
    if N::STABLE {
        let law = noise.stable_law();
        for s in 0..2u32 {
            for c in 0..d {
                let mut block = [0u32; LANES];
                for l in 0..LANES {
                    block[l] = (2 * pair[l] + s) * d + c;
                }
                let (w0, w1) = threefry2x32_20_lanes(trajectory, &block, key);
                let out = &mut draws[s as usize][c as usize];
                for l in 0..LANES {
                    out[l] = stable(w0[l], w1[l], &law);
                }
            }
        }
    } else {
        for i in 0..d {
            let mut block = [0u32; LANES];
            for l in 0..LANES {
                block[l] = pair[l] * d + i;
            }
            let (w0, w1) = threefry2x32_20_lanes(trajectory, &block, key);
            let mut z0 = [0f32; LANES];
            let mut z1 = [0f32; LANES];
            for l in 0..LANES {
                (z0[l], z1[l]) = box_muller(w0[l], w1[l]);
            }
            let (j0, j1) = (2 * i, 2 * i + 1);
            draws[(j0 / d) as usize][(j0 % d) as usize] = z0;
            draws[(j1 / d) as usize][(j1 % d) as usize] = z1;
        }
    }
}

/// SGD's minibatch of step `steps` (0-based, per lane): member `b` is word
/// `b % 2` of block `steps * ceil(B/2) + b/2`, reduced modulo the data size
/// (bias below `n / 2^32`). Layout: [`crate::rng::stream`].
#[inline(always)]
fn minibatch(
    trajectory: &[u32; LANES],
    steps: &[u32; LANES],
    key: [u32; 2],
    data_size: u32,
    indices: &mut [[u32; LANES]],
) {
    let blocks = indices.len().div_ceil(2) as u32;
    for (pair, members) in indices.chunks_mut(2).enumerate() {
        let mut block = [0u32; LANES];
        for l in 0..LANES {
            block[l] = steps[l].wrapping_mul(blocks).wrapping_add(pair as u32);
        }
        let (w0, w1) = threefry2x32_20_lanes(trajectory, &block, key);
        for l in 0..LANES {
            members[0][l] = w0[l] % data_size;
        }
        if let Some(second) = members.get_mut(1) {
            for l in 0..LANES {
                second[l] = w1[l] % data_size;
            }
        }
    }
}

/// The exit's score on lanes ([`ExitSet::score`], or a formula's `g`).
#[inline(always)]
fn exit_score<E: ExitSet, const DIM: usize>(
    exit: &E,
    scratch: &mut crate::simd::Scratch,
    x: &[Lanes; DIM],
    dim: usize,
) -> Lanes {
    if E::STATE {
        exit.score_state(scratch, x, dim)
    } else {
        exit.score(x, dim)
    }
}

/// The potential's gradient (and `L`, where the noise reads it) at `x`, on
/// lanes: the drift stage of both schemes (not SGD's minibatch gradient).
#[inline(always)]
fn evaluate<'a, P: Potential<'a>, const DIM: usize>(
    potential: &P,
    scratch: &mut crate::simd::Scratch,
    x: &[Lanes; DIM],
    dim: usize,
    uses_loss: bool,
    gradient: &mut [Lanes; DIM],
    loss: &mut Lanes,
) {
    if !P::STATE {
        for c in 0..dim {
            potential.gradient_lanes(c, &x[c], &mut gradient[c]);
        }
    }
    if P::STATE {
        let wanted = if uses_loss { Some(&mut *loss) } else { None };
        potential.state_lanes(scratch, x, dim, gradient, wanted);
    } else if uses_loss {
        *loss = [0f32; LANES];
        for (c, xc) in x.iter().enumerate().take(dim) {
            potential.value_lanes(c, xc, loss);
        }
    }
}

/// Each coordinate's noise variance `D_c(x)` on lanes, from the gradient and `L` at `x`.
#[inline(always)]
fn variances<N: Noise, const DIM: usize>(
    noise: &N,
    scratch: &mut crate::simd::Scratch,
    x: &[Lanes; DIM],
    dim: usize,
    gradient: &[Lanes; DIM],
    loss: &Lanes,
    out: &mut [Lanes; DIM],
) {
    for (c, xc) in x.iter().enumerate().take(dim) {
        if N::STATE {
            noise.variance_state(scratch, c, x, loss, &gradient[c], &mut out[c]);
        } else {
            for l in 0..LANES {
                out[c][l] = noise.variance(xc[l], loss[l]);
            }
        }
    }
}

/// Whether any lane is set (a branch-free reduction).
#[inline(always)]
fn any(mask: &[bool; LANES]) -> bool {
    mask.iter().fold(false, |a, &b| a | b)
}

/// Simulate trajectories `first .. first + count` of one case, calling `done`
/// once per trajectory (in no particular order).
#[inline(always)]
pub fn simulate<'a, P: Potential<'a>, N: Noise, E: ExitSet, const DIM: usize>(
    case: &CaseKernel<'_, P, N, E>,
    first: u32,
    count: u32,
    mut done: impl FnMut(Outcome<DIM>),
) {
    let params = case.params;
    let dim = case.dim.min(DIM);
    let max_steps = params.max_steps;
    let end = first + count;
    let mut next = first;

    let x = &mut Aligned([[0f32; LANES]; DIM]).0;
    let trajectory = &mut Aligned([0u32; LANES]).0;
    // counter word 0 of the noise and of the bridge uniforms (the trajectory, or a segment's)
    let counter = &mut Aligned([0u32; LANES]).0;
    let bridge_counter = &mut Aligned([0u32; LANES]).0;
    let steps = &mut Aligned([0u32; LANES]).0;
    let mut live = [false; LANES];
    let first_passage = &mut Aligned([0u32; LANES]).0;
    let diverged = &mut Aligned([0u32; LANES]).0;
    // segments: the running best score, the stop levels and how a stopped one ended
    let mut best = [0f32; LANES];
    let levels = &mut Aligned([[f32::NEG_INFINITY; LANES], [f32::INFINITY; LANES]]).0;
    let ended = &mut Aligned([0u32; LANES]).0;
    let segments = case.segments;
    // Lane `l` takes trajectory (or segment) `t` from its start.
    let load = |l: usize,
                t: u32,
                x: &mut [Lanes; DIM],
                trajectory: &mut [u32; LANES],
                counter: &mut [u32; LANES],
                bridge_counter: &mut [u32; LANES],
                levels: &mut [Lanes; 2]| {
        trajectory[l] = t;
        match segments {
            None => {
                counter[l] = t;
                bridge_counter[l] = t;
                for (c, xc) in x.iter_mut().enumerate().take(dim) {
                    xc[l] = params.start[c];
                }
            }
            Some(s) => {
                let t = t as usize;
                counter[l] = s.counter[t];
                bridge_counter[l] = s.counter[t].wrapping_add(1);
                for (c, xc) in x.iter_mut().enumerate().take(dim) {
                    xc[l] = s.start[t * dim + c];
                }
                levels[0][l] = s.levels[t][0];
                levels[1][l] = s.levels[t][1];
            }
        }
    };
    for (l, lane_live) in live.iter_mut().enumerate() {
        if next < end {
            load(l, next, x, trajectory, counter, bridge_counter, levels);
            *lane_live = true;
            next += 1;
        }
    }
    let mut exit_scratch = case.exit.scratch();
    if segments.is_some() {
        // a segment that starts above its stop level is cut at step 0
        best = exit_score(&case.exit, &mut exit_scratch, x, dim);
        for l in 0..LANES {
            if best[l] > levels[1][l] {
                ended[l] = Code::Cut as u32;
            }
        }
    }

    let draws = &mut Aligned([[[0f32; LANES]; DIM]; 2]).0;
    // `u` where the noise reads it (0 otherwise: a formula noise is handed it, unread)
    let loss = &mut Aligned([0f32; LANES]).0;
    let gradient = &mut Aligned([[0f32; LANES]; DIM]).0;
    // the bridge's state and noise variances before the step
    let before = &mut Aligned([[0f32; LANES]; DIM]).0;
    let variance = &mut Aligned([[0f32; LANES]; DIM]).0;
    // SGD: the data indices of this step's minibatch, per lane.
    let batch = if N::SGD {
        case.noise.batch() as usize
    } else {
        0
    };
    let mut indices = vec![[0u32; LANES]; batch];
    // (a constant for the built-ins; a formula may or may not read `u`)
    let uses_loss = N::USES_LOSS && case.noise.reads_loss();
    let mut potential_scratch = case.potential.scratch();
    let mut noise_scratch = case.noise.scratch();
    let data_size = (params.potential[1] as u32).max(1);
    // Underdamped (GJF): the velocities, the scheme's constants, and which
    // lanes still need their start velocity (all force evaluations are stale
    // after a lane took a new trajectory).
    let gjf = if N::SGD || N::STABLE {
        None
    } else {
        case.underdamped
    };
    debug_assert!(
        gjf.is_none() || segments.is_none(),
        "splitting runs overdamped dynamics only"
    );
    let friction = params.dynamics[0];
    let (gjf_a, gjf_b) = (params.dynamics[2], params.dynamics[3]);
    let given_velocity = params.dynamics[1] != 0.0;
    // Heavy ball: the momentum; the velocities are `v`, 0 at a trajectory's start.
    // (a case of momentum 0 in a swept heavy-ball run steps as plain SGD)
    let momentum = case.noise.momentum();
    let heavy_ball = N::SGD && case.heavy_ball && momentum != 0.0;
    debug_assert!(
        !heavy_ball || segments.is_none(),
        "splitting runs no heavy ball"
    );
    let v = &mut Aligned([[0f32; LANES]; DIM]).0;
    let mut unstarted = live;
    let mut stale = true;
    let mut pairs = 0u32;
    while any(&live) {
        pairs = pairs.wrapping_add(1);
        if pairs.is_multiple_of(CANCEL_EVERY)
            && case
                .cancel
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
        {
            return;
        }
        let pair = &mut Aligned([0u32; LANES]).0;
        let running = &mut Aligned([0u32; LANES]).0;
        for l in 0..LANES {
            pair[l] = steps[l] / 2;
            running[l] = live[l] as u32 & (steps[l] < max_steps) as u32 & (ended[l] == 0) as u32;
        }
        draw_pair(
            &case.noise,
            counter,
            pair,
            dim,
            case.key,
            case.coupled,
            draws,
        );
        for draw in draws.iter() {
            if let Some(underdamped) = gjf.as_ref() {
                // GJF (super::gjf): the force and `L` at x are carried from
                // the last step, recomputed for every lane after a lane took a
                // new trajectory (the same numbers where x did not change).
                if stale {
                    evaluate(
                        &case.potential,
                        &mut potential_scratch,
                        x,
                        dim,
                        uses_loss,
                        gradient,
                        loss,
                    );
                    if any(&unstarted) {
                        variances(
                            &case.noise,
                            &mut noise_scratch,
                            x,
                            dim,
                            gradient,
                            loss,
                            variance,
                        );
                        let drawn = &mut Aligned([[0f32; LANES]; DIM]).0;
                        super::gjf::maxwell(counter, underdamped.maxwell_key, dim, variance, drawn);
                        for c in 0..dim {
                            for l in 0..LANES {
                                if unstarted[l] {
                                    v[c][l] = if given_velocity {
                                        params.start_velocity[c]
                                    } else {
                                        drawn[c][l]
                                    };
                                }
                            }
                        }
                        unstarted = [false; LANES];
                    }
                    stale = false;
                }
                variances(
                    &case.noise,
                    &mut noise_scratch,
                    x,
                    dim,
                    gradient,
                    loss,
                    variance,
                );
                let force = &mut Aligned([[0f32; LANES]; DIM]).0;
                let kick = &mut Aligned([[0f32; LANES]; DIM]).0;
                for c in 0..dim {
                    for l in 0..LANES {
                        force[c][l] = -gradient[c][l];
                        kick[c][l] =
                            super::gjf::kick(friction, variance[c][l], params.dt, draw[c][l]);
                        let new = super::gjf::position(
                            x[c][l],
                            v[c][l],
                            force[c][l],
                            kick[c][l],
                            gjf_b,
                            params.dt,
                        );
                        x[c][l] = if running[l] != 0 { new } else { x[c][l] };
                    }
                }
                evaluate(
                    &case.potential,
                    &mut potential_scratch,
                    x,
                    dim,
                    uses_loss,
                    gradient,
                    loss,
                );
                for c in 0..dim {
                    for l in 0..LANES {
                        let new = super::gjf::velocity(
                            v[c][l],
                            force[c][l],
                            -gradient[c][l],
                            kick[c][l],
                            gjf_a,
                            gjf_b,
                            params.dt,
                        );
                        v[c][l] = if running[l] != 0 { new } else { v[c][l] };
                    }
                }
            } else if N::SGD {
                minibatch(counter, steps, case.key, data_size, &mut indices);
                for c in 0..dim {
                    case.potential
                        .minibatch_gradient_lanes(c, &x[c], &indices, &mut gradient[c]);
                }
                if P::STATE {
                    case.potential
                        .state_lanes(&mut potential_scratch, x, dim, gradient, None);
                }
            } else {
                evaluate(
                    &case.potential,
                    &mut potential_scratch,
                    x,
                    dim,
                    uses_loss,
                    gradient,
                    loss,
                );
            }
            // Bridge: the state and each coordinate's noise variance before the step.
            if case.bridge.is_some() {
                for (c, xc) in x.iter().enumerate().take(dim) {
                    if N::STATE {
                        case.noise.variance_state(
                            &mut noise_scratch,
                            c,
                            x,
                            loss,
                            &gradient[c],
                            &mut variance[c],
                        );
                    } else {
                        for l in 0..LANES {
                            variance[c][l] = case.noise.variance(xc[l], loss[l]);
                        }
                    }
                    before[c] = *xc;
                }
            }
            if gjf.is_some() {
                // stepped above
            } else if heavy_ball {
                // WGSL twin: `advance_heavy_ball` in shaders/simulate.wgsl
                for c in 0..dim {
                    for l in 0..LANES {
                        let velocity = momentum * v[c][l] - gradient[c][l] * params.dt;
                        let stepped = running[l] != 0;
                        v[c][l] = if stepped { velocity } else { v[c][l] };
                        x[c][l] = if stepped { x[c][l] + velocity } else { x[c][l] };
                    }
                }
            } else if N::STATE {
                // Every coordinate's variance reads the state before the step:
                // all are evaluated before any coordinate moves.
                for (c, slope) in gradient.iter().enumerate().take(dim) {
                    case.noise
                        .prepare_state(&mut noise_scratch, c, x, slope, loss);
                }
                for (c, xc) in x.iter_mut().enumerate().take(dim) {
                    case.noise.step_state(
                        &noise_scratch,
                        c,
                        xc,
                        &gradient[c],
                        params.dt,
                        params.alpha,
                        &draw[c],
                        running,
                    );
                }
            } else {
                for c in 0..dim {
                    for l in 0..LANES {
                        let old = x[c][l];
                        let new = case.noise.step(
                            old,
                            gradient[c][l],
                            loss[l],
                            params.dt,
                            params.alpha,
                            draw[c][l],
                        );
                        x[c][l] = if running[l] != 0 { new } else { old };
                    }
                }
            }
            let mut left = if E::STATE {
                case.exit.contains_state(&mut exit_scratch, x, dim)
            } else {
                case.exit.contains(x, dim)
            };
            if let Some(bridge_key) = case.bridge {
                // docs/theory.md §4: a step that stays inside left in between
                // with the exit set's bridge probability.
                let probability =
                    case.exit
                        .crossing(&mut exit_scratch, before, x, variance, dim, params.dt);
                // A coupled run's step k reads the uniform of the fine run's
                // step 2k + 1, which ends where it ends (docs/theory.md §10).
                let block = &mut Aligned([0u32; LANES]).0;
                for l in 0..LANES {
                    block[l] = if case.coupled {
                        2 * steps[l] + 1
                    } else {
                        steps[l]
                    };
                }
                let (w0, _) = threefry2x32_20_lanes(bridge_counter, block, bridge_key);
                for l in 0..LANES {
                    left[l] |= (uniform_open_closed(w0[l]) < probability[l]) as u32;
                }
            }
            let bounded = &mut Aligned([1u32; LANES]).0;
            for xc in x.iter().take(dim) {
                for l in 0..LANES {
                    bounded[l] &= (xc[l].abs() <= DIVERGENCE_BOUND) as u32;
                }
            }
            let stepped_lanes = *running;
            // 0/1 integer masks keep this bookkeeping branch-free and vectorized.
            for l in 0..LANES {
                let stepped = running[l];
                let blew_up = stepped & (bounded[l] ^ 1);
                let escaped = stepped & bounded[l] & left[l];
                steps[l] += stepped;
                diverged[l] |= blew_up;
                first_passage[l] += escaped * steps[l];
                running[l] =
                    stepped & (blew_up ^ 1) & (escaped ^ 1) & (steps[l] < max_steps) as u32;
            }
            if segments.is_some() {
                // A segment that steps on stops where its score falls to its
                // return level or first exceeds its stop level.
                let score = exit_score(&case.exit, &mut exit_scratch, x, dim);
                for l in 0..LANES {
                    let stepped = stepped_lanes[l] != 0;
                    best[l] = if stepped {
                        best[l].max(score[l])
                    } else {
                        best[l]
                    };
                    let returned = (score[l] <= levels[0][l]) as u32;
                    let cut = (score[l] > levels[1][l]) as u32;
                    let going = running[l] | (stepped_lanes[l] & ((steps[l] >= max_steps) as u32));
                    let stop = going & (returned | cut);
                    ended[l] = if stop != 0 {
                        if cut != 0 {
                            Code::Cut as u32
                        } else {
                            Code::Returned as u32
                        }
                    } else {
                        ended[l]
                    };
                    running[l] &= stop ^ 1;
                }
            }
        }
        // Lanes that stopped during this pair hand over their trajectory.
        let mut stopped = [false; LANES];
        for l in 0..LANES {
            stopped[l] = live[l] & (running[l] == 0);
        }
        if !any(&stopped) {
            continue;
        }
        for l in 0..LANES {
            if stopped[l] {
                let code = if diverged[l] != 0 {
                    Code::Diverged
                } else if first_passage[l] != 0 {
                    Code::Escaped
                } else if ended[l] != 0 {
                    Code::from_code(ended[l]).expect("a segment's code")
                } else {
                    Code::Censored
                };
                done(Outcome {
                    trajectory: trajectory[l],
                    first_passage: first_passage[l],
                    diverged: diverged[l] != 0,
                    state: std::array::from_fn(|c| x[c][l]),
                    velocity: std::array::from_fn(|c| v[c][l]),
                    code,
                    steps: steps[l],
                    best: best[l],
                });
                if next < end {
                    load(l, next, x, trajectory, counter, bridge_counter, levels);
                    for vc in v.iter_mut() {
                        vc[l] = 0.0;
                    }
                    unstarted[l] = true;
                    stale = true;
                    next += 1;
                    steps[l] = 0;
                    first_passage[l] = 0;
                    diverged[l] = 0;
                    ended[l] = 0;
                    if segments.is_some() {
                        let score = exit_score(&case.exit, &mut exit_scratch, x, dim);
                        best[l] = score[l];
                        if best[l] > levels[1][l] {
                            ended[l] = Code::Cut as u32;
                        }
                    }
                } else {
                    live[l] = false;
                }
            }
        }
    }
}
