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
