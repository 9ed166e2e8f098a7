// paper-2d: scale/n sum_i |y-1|^2.5 |y+1|^3, y = x_c - datum_ci; slots [scale, n].
// Twin of paper_2d.rs. The data points come from `datum` (simulate.wgsl).

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

// One data point's term at y = x - datum: the loss, or its derivative.
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

fn paper_2d_gradient(p: CaseParams, c: u32, x: f32) -> f32 {
    return paper_mean(p, c, x, false);
}

fn paper_2d_value(p: CaseParams, c: u32, x: f32) -> f32 {
    return paper_mean(p, c, x, true);
}
