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

// The bridge: one minus the product of every face's survival probability.
fn box_set_crossing(p: CaseParams, before: array<f32, DIM>, after: array<f32, DIM>,
                    variance: array<f32, DIM>, dt: f32) -> f32 {
    var stay = 1.0;
    for (var c = 0u; c < min(DIM, 4u); c++) {
        let lower = slot(p.exit_vector, c);
        let upper = slot(p.exit_vector, 4u + c);
        let below = bridge_probability(before[c] - lower, after[c] - lower, variance[c], dt);
        let above = bridge_probability(upper - before[c], upper - after[c], variance[c], dt);
        stay *= (1.0 - below) * (1.0 - above);
    }
    return 1.0 - stay;
}
