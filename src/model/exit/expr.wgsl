// expr: an exit formula g; the generated user_exit_contains (src/model/formula.rs) tests g(x) >= 0.
fn expr_contains(p: CaseParams, x: array<f32, DIM>) -> bool {
    return user_exit_contains(p, x);
}

// Rare-event splitting's score: g itself (the generated user_exit_value).
fn expr_score(p: CaseParams, x: array<f32, DIM>) -> f32 {
    return user_exit_value(p, x);
}
