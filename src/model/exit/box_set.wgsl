// box: outside lower <= x <= upper in some coordinate; slots vector [lower[0..4], upper[0..4]].
// Twin of box_set.rs.
fn box_set_contains(p: CaseParams, x: array<f32, DIM>) -> bool {
    var outside = false;
    for (var c = 0u; c < min(DIM, 4u); c++) {
        outside = outside || x[c] < slot(p.exit_vector, c) || x[c] > slot(p.exit_vector, 4u + c);
    }
    return outside;
}

// No score: rare-event splitting refuses this exit before any dispatch.
fn box_set_score(p: CaseParams, x: array<f32, DIM>) -> f32 {
    return 0.0;
}
