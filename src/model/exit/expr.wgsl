// expr: an exit formula g; the generated user_exit_contains (src/model/formula.rs) tests g(x) >= 0.
fn expr_contains(p: CaseParams, x: array<f32, DIM>) -> bool {
    return user_exit_contains(p, x);
}

// Rare-event splitting's score: g itself (the generated user_exit_value).
fn expr_score(p: CaseParams, x: array<f32, DIM>) -> f32 {
    return user_exit_value(p, x);
}

// g and its gradient at a point (the generated user_exit_bridge).
struct ExitBridge {
    g: f32,
    gradient: array<f32, DIM>,
}

// The bridge: the half-space through the boundary point nearest each end
// (distances -g/|grad g|, variance along grad g at `before`); none where g has no gradient.
fn expr_crossing(p: CaseParams, before: array<f32, DIM>, after: array<f32, DIM>,
                 variance: array<f32, DIM>, dt: f32) -> f32 {
    let start = user_exit_bridge(p, before);
    var length = 0.0;
    var spread = 0.0;
    for (var c = 0u; c < DIM; c++) {
        let slope = start.gradient[c];
        length += slope * slope;
        spread += slope * slope * variance[c];
    }
    let end = user_exit_bridge(p, after);
    var end_length = 0.0;
    for (var c = 0u; c < DIM; c++) {
        end_length += end.gradient[c] * end.gradient[c];
    }
    let regular = length > 0.0 && end_length > 0.0 && spread > 0.0;
    let probability = bridge_probability(-start.g / sqrt(length), -end.g / sqrt(end_length), spread / length, dt);
    return select(0.0, probability, regular);
}
