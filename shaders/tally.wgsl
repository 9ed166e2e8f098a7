// Reduces a finished slice per case: outcome counts, log-binned first-passage
// histogram and final-value histograms in workgroup-private atomic bins merged
// into global ones; exact 64/128-bit sums of first-passage steps and their
// squares, and exact 128-bit fixed-point (2^-32) moment sums, per workgroup
// (finished on the host). Every sum is exact, so any split of the trajectories
// (slices, shards, devices, checkpoint blocks) gives the same totals.
// CPU twin: `Tally::add` in src/observables/tally.rs.
#import params

struct TallyInfo {
    hist_lo: f32,
    hist_scale: f32,
    hist_bins: u32,
    row_width: u32,
}

@group(0) @binding(0) var<uniform> slice: SliceInfo;
@group(0) @binding(1) var<uniform> info: TallyInfo;
@group(0) @binding(2) var<storage, read> state: array<f32>;
@group(0) @binding(3) var<storage, read> progress: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> fpt_edges: array<u32, 128>;
// per case row: [escaped, censored, diverged, fpt bins (128), DIM x (bins, below, above)]
@group(0) @binding(5) var<storage, read_write> counts: array<atomic<u32>>;
// per workgroup: [steps lo, hi, squares 4 limbs, MOMENTS x 4 limbs: DIM x (sum, sum of squares),
// then underdamped DIM x the velocity's (sum, sum of squares),
// of x 2^32, 128-bit two's complement]
@group(0) @binding(6) var<storage, read_write> partials: array<u32>;

const FPT_OFFSET: u32 = 3u;
const HIST_OFFSET: u32 = 131u;
const PARTIAL_STRIDE: u32 = 6u + 4u * MOMENTS;

var<workgroup> private_row: array<atomic<u32>, PRIVATE_ROW>;
var<workgroup> wg_steps: array<vec2<u32>, WORKGROUP>;
var<workgroup> wg_squares: array<vec4<u32>, WORKGROUP>;
var<workgroup> wg_wide: array<vec4<u32>, WORKGROUP>;

fn count(case_slot: u32, i: u32) {
    if i < PRIVATE_ROW {
        atomicAdd(&private_row[i], 1u);
    } else {
        atomicAdd(&counts[case_slot * info.row_width + i], 1u);
    }
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn add128(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
    var out: vec4<u32>;
    var carry = 0u;
    for (var i = 0u; i < 4u; i++) {
        let partial = a[i] + b[i];
        let total = partial + carry;
        carry = select(0u, 1u, partial < a[i]) + select(0u, 1u, total < partial);
        out[i] = total;
    }
    return out;
}

// Full 64-bit product of two u32.
fn mul32(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    return vec2<u32>((p00 & 0xffffu) | (mid << 16u), p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}

// v (128 bits) shifted left by s < 128.
fn shl128(v: vec4<u32>, s: u32) -> vec4<u32> {
    let w = s / 32u;
    let b = s % 32u;
    var out = vec4<u32>(0u, 0u, 0u, 0u);
    for (var i = w; i < 4u; i++) {
        var word = v[i - w] << b;
        if b != 0u && i > w {
            word |= v[i - w - 1u] >> (32u - b);
        }
        out[i] = word;
    }
    return out;
}

// v (64 bits, below 2^63) divided by 2^s (s >= 1), rounded half up.
fn shr64_round(v: vec2<u32>, s: u32) -> vec2<u32> {
    if s >= 64u {
        return vec2<u32>(0u, 0u);
    }
    var half = vec2<u32>(0u, 1u << ((s - 1u) % 32u));
    if s <= 32u {
        half = vec2<u32>(1u << (s - 1u), 0u);
    }
    let t = add64(v, half);
    if s >= 32u {
        return vec2<u32>(t.y >> (s - 32u), 0u);
    }
    return vec2<u32>((t.x >> s) | (t.y << (32u - s)), t.y >> s);
}

// round(x 2^32), or round(x^2 2^32) when `square`, half away from zero, as a
// 128-bit two's-complement integer; exact for every finite f32 (|x| <= 1e9 here).
// CPU twin: `Tally::add` (`(x * 2^32).round() as i128` in f64, where it is exact).
fn fixed_point(x: f32, square: bool) -> vec4<u32> {
    let bits = bitcast<u32>(x);
    let e = (bits >> 23u) & 0xffu;
    if e == 0u {
        return vec4<u32>(0u, 0u, 0u, 0u); // zero or subnormal: rounds to 0
    }
    let m = (bits & 0x7fffffu) | 0x800000u;
    // |x| = m 2^(e - 150): |x| 2^32 = m 2^(e - 118), x^2 2^32 = m^2 2^(2e - 268)
    var v = vec2<u32>(m, 0u);
    var shift = i32(e) - 118;
    if square {
        v = mul32(m, m);
        shift = 2 * i32(e) - 268;
    }
    var out: vec4<u32>;
    if shift >= 0 {
        out = shl128(vec4<u32>(v.x, v.y, 0u, 0u), u32(min(shift, 127)));
    } else {
        let r = shr64_round(v, u32(-shift));
        out = vec4<u32>(r.x, r.y, 0u, 0u);
    }
    if !square && (bits >> 31u) == 1u {
        out = add128(~out, vec4<u32>(1u, 0u, 0u, 0u));
    }
    return out;
}

// Largest k with fpt_edges[k] <= n (n >= 1 = fpt_edges[0]).
fn fpt_bin(n: u32) -> u32 {
    var lo = 0u;
    var hi = 127u;
    while lo < hi {
        let mid = (lo + hi + 1u) / 2u;
        if fpt_edges[mid] <= n {
            lo = mid;
        } else {
            hi = mid - 1u;
        }
    }
    return lo;
}

// Trajectory slots per workgroup: TALLY_LOOPS per invocation, summed in
// registers, so that the workgroup reductions below (a barrier each) are paid
// once per TALLY_LOOPS x WORKGROUP trajectories. Keep in sync with
// TALLY_SPAN in src/backend/gpu/plan.rs.
const TALLY_LOOPS: u32 = 16u;
const TALLY_SPAN: u32 = TALLY_LOOPS * WORKGROUP;

@compute @workgroup_size(WORKGROUP)
fn tally(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
         @builtin(num_workgroups) nwg: vec3<u32>) {
    let workgroup = wid.y * nwg.x + wid.x;
    let total = slice.per_case * slice.cases;
    // Workgroup w takes slots part * TALLY_SPAN .. of case slot w / groups_per_case.
    let groups_per_case = (slice.per_case + TALLY_SPAN - 1u) / TALLY_SPAN;
    let case_slot = workgroup / groups_per_case;
    let part = workgroup % groups_per_case;
    if case_slot >= slice.cases {
        return; // the grid's padding
    }
    for (var i = lid.x; i < PRIVATE_ROW; i += WORKGROUP) {
        atomicStore(&private_row[i], 0u);
    }
    workgroupBarrier();

    var steps = vec2<u32>(0u, 0u);
    var squares = vec4<u32>(0u, 0u, 0u, 0u);
    var moments: array<vec4<u32>, MOMENTS>;
    let end = min((part + 1u) * TALLY_SPAN, slice.per_case);
    for (var at = part * TALLY_SPAN + lid.x; at < end; at += WORKGROUP) {
        let g = case_slot * slice.per_case + at;
        let pr = progress[g];
        if pr.y == OUTCOME_DIVERGED {
            count(case_slot, 2u);
        } else if pr.y == OUTCOME_CENSORED || pr.y == OUTCOME_ESCAPED {
            if pr.y == OUTCOME_ESCAPED {
                count(case_slot, 0u);
                count(case_slot, FPT_OFFSET + fpt_bin(pr.x));
                steps = add64(steps, vec2<u32>(pr.x, 0u));
                let sq = mul32(pr.x, pr.x);
                squares = add128(squares, vec4<u32>(sq.x, sq.y, 0u, 0u));
            } else {
                count(case_slot, 1u);
            }
            for (var c = 0u; c < DIM; c++) {
                let x = state[c * total + g];
                moments[2u * c] = add128(moments[2u * c], fixed_point(x, false));
                moments[2u * c + 1u] = add128(moments[2u * c + 1u], fixed_point(x, true));
                let position = (x - info.hist_lo) * info.hist_scale;
                var k = info.hist_bins + 1u;
                if position < 0.0 {
                    k = info.hist_bins;
                } else if position < f32(info.hist_bins) {
                    k = min(u32(position), info.hist_bins - 1u);
                }
                count(case_slot, HIST_OFFSET + c * (info.hist_bins + 2u) + k);
            }
            if UNDERDAMPED {
                // the velocity block's moments follow the position's (MOMENTS = 4 DIM)
                for (var c = 0u; c < DIM; c++) {
                    let v = state[(DIM + c) * total + g];
                    let m = 2u * (DIM + c);
                    moments[m] = add128(moments[m], fixed_point(v, false));
                    moments[m + 1u] = add128(moments[m + 1u], fixed_point(v, true));
                }
            }
        }
    }
    wg_steps[lid.x] = steps;
    wg_squares[lid.x] = squares;
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
        if lid.x < stride {
            wg_steps[lid.x] = add64(wg_steps[lid.x], wg_steps[lid.x + stride]);
            wg_squares[lid.x] = add128(wg_squares[lid.x], wg_squares[lid.x + stride]);
        }
        workgroupBarrier();
    }
    // Moments one at a time through one shared row (little workgroup memory).
    let base = workgroup * PARTIAL_STRIDE;
    for (var m = 0u; m < MOMENTS; m++) {
        wg_wide[lid.x] = moments[m];
        workgroupBarrier();
        for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
            if lid.x < stride {
                wg_wide[lid.x] = add128(wg_wide[lid.x], wg_wide[lid.x + stride]);
            }
            workgroupBarrier();
        }
        if lid.x == 0u {
            for (var i = 0u; i < 4u; i++) {
                partials[base + 6u + 4u * m + i] = wg_wide[0][i];
            }
        }
        workgroupBarrier();
    }
    if lid.x == 0u {
        partials[base] = wg_steps[0].x;
        partials[base + 1u] = wg_steps[0].y;
        for (var i = 0u; i < 4u; i++) {
            partials[base + 2u + i] = wg_squares[0][i];
        }
    }
    for (var i = lid.x; i < PRIVATE_ROW; i += WORKGROUP) {
        let v = atomicLoad(&private_row[i]);
        if v != 0u {
            atomicAdd(&counts[case_slot * info.row_width + i], v);
        }
    }
}
