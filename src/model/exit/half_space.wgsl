// half-space: n . x >= theta; slots vector n, scalar [theta]. Twin of half_space.rs.
fn half_space_contains(p: CaseParams, x: array<f32, DIM>) -> bool {
    return half_space_score(p, x) >= p.exit_scalar.x;
}

// Rare-event splitting's score: n . x.
fn half_space_score(p: CaseParams, x: array<f32, DIM>) -> f32 {
    var sum = 0.0;
    for (var c = 0u; c < DIM; c++) {
        sum += slot(p.exit_vector, c) * x[c];
    }
    return sum;
}

// The bridge (docs/theory.md §4): y = n . x moves as a Brownian motion of variance sum n_c^2 D_c.
fn half_space_crossing(p: CaseParams, before: array<f32, DIM>, after: array<f32, DIM>,
                       variance: array<f32, DIM>, dt: f32) -> f32 {
    var start = 0.0;
    var spread = 0.0;
    for (var c = 0u; c < DIM; c++) {
        let n = slot(p.exit_vector, c);
        start += n * before[c];
        spread += n * n * variance[c];
    }
    let end = half_space_score(p, after);
    return bridge_probability(p.exit_scalar.x - start, p.exit_scalar.x - end, spread, dt);
}
