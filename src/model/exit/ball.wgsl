// ball: |x - c|^2 >= r^2; slots vector c, scalar [r^2]. Twin of ball.rs.
fn ball_contains(p: CaseParams, x: array<f32, DIM>) -> bool {
    return ball_score(p, x) >= p.exit_scalar.x;
}

// Rare-event splitting's score: |x - c|^2.
fn ball_score(p: CaseParams, x: array<f32, DIM>) -> f32 {
    var sum = 0.0;
    for (var c = 0u; c < DIM; c++) {
        let y = x[c] - slot(p.exit_vector, c);
        sum += y * y;
    }
    return sum;
}

// The bridge: the half-space tangent at the point nearest `before` (distances
// r - |x - c|, variance along the radius; the largest variance at the centre).
fn ball_crossing(p: CaseParams, before: array<f32, DIM>, after: array<f32, DIM>,
                 variance: array<f32, DIM>, dt: f32) -> f32 {
    let start = ball_score(p, before);
    let end = ball_score(p, after);
    var weighted = 0.0;
    var largest = 0.0;
    for (var c = 0u; c < DIM; c++) {
        let y = before[c] - slot(p.exit_vector, c);
        weighted += y * y * variance[c];
        largest = max(largest, variance[c]);
    }
    let radius = sqrt(p.exit_scalar.x);
    let spread = select(largest, weighted / start, start > 0.0);
    return bridge_probability(radius - sqrt(start), radius - sqrt(end), spread, dt);
}
