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
