// Potentials (SPEC §3), per coordinate; twin of src/kernel/potentials.rs.
// POTENTIAL: 0 quadratic, 1 double-well, 2 barrier, 3 paper-2d (prelude constant).

fn paper_term_gradient(y: f32) -> f32 {
    let p = y - 1.0;
    let q = y + 1.0;
    return sqrt(abs(p)) * p * abs(q) * (2.5 * q * q + 3.0 * p * q);
}

fn paper_term_value(y: f32) -> f32 {
    let p = y - 1.0;
    let q = y + 1.0;
    return p * p * sqrt(abs(p)) * q * q * abs(q);
}

// One data point's term of paper-2d at y = x - datum: the loss, or its derivative.
fn paper_term(y: f32, value: bool) -> f32 {
    if value {
        return paper_term_value(y);
    }
    return paper_term_gradient(y);
}

// scale x the mean of the terms over coordinate c's data points. Four points
// per iteration (a quarter of the loop bookkeeping, 30% faster on llvmpipe),
// added in order as on the CPU.
fn paper_mean(p: CaseParams, c: u32, x: f32, value: bool) -> f32 {
    let n = slice.data_size;
    var sum = 0.0;
    var i = 0u;
    for (; i + 3u < n; i += 4u) {
        let a = paper_term(x - datum(c * n + i), value);
        let b = paper_term(x - datum(c * n + i + 1u), value);
        let d = paper_term(x - datum(c * n + i + 2u), value);
        let e = paper_term(x - datum(c * n + i + 3u), value);
        sum = (((sum + a) + b) + d) + e;
    }
    for (; i < n; i++) {
        sum += paper_term(x - datum(c * n + i), value);
    }
    return slot(p.potential, 0u) * sum / f32(n);
}

fn potential_gradient(p: CaseParams, c: u32, x: f32) -> f32 {
    if POTENTIAL == 0u {
        return slot(p.potential, 0u) * (x - slot(p.potential, 1u));
    } else if POTENTIAL == 1u {
        return slot(p.potential, 2u) * x * (x * x * slot(p.potential, 3u) - 1.0);
    } else if POTENTIAL == 2u {
        let well = slot(p.potential, 0u) * (x - slot(p.potential, 3u));
        let cap = slot(p.potential, 1u) * (slot(p.potential, 5u) - x);
        return select(cap, well, x <= slot(p.potential, 4u));
    } else {
        return paper_mean(p, c, x, false);
    }
}

fn potential_value(p: CaseParams, c: u32, x: f32) -> f32 {
    if POTENTIAL == 0u {
        let y = x - slot(p.potential, 1u);
        return 0.5 * slot(p.potential, 0u) * y * y;
    } else if POTENTIAL == 1u {
        let s = x * x * slot(p.potential, 3u) - 1.0;
        return slot(p.potential, 0u) * s * s;
    } else if POTENTIAL == 2u {
        let a = x - slot(p.potential, 3u);
        let b = x - slot(p.potential, 5u);
        let well = 0.5 * slot(p.potential, 0u) * a * a;
        let cap = slot(p.potential, 2u) - 0.5 * slot(p.potential, 1u) * b * b;
        return select(cap, well, x <= slot(p.potential, 4u));
    } else {
        return paper_mean(p, c, x, true);
    }
}
