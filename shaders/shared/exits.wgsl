// Exit sets (SPEC §4); twin of src/kernel/exits.rs. EXIT: 0 half-space, 1 ball, 2 box.

const DIVERGENCE_BOUND: f32 = 1e9;

fn exit_contains(p: CaseParams, x: array<f32, DIM>) -> bool {
    if EXIT == 2u {
        var outside = false;
        for (var c = 0u; c < min(DIM, 4u); c++) {
            outside = outside || x[c] < slot(p.exit_vector, c) || x[c] > slot(p.exit_vector, 4u + c);
        }
        return outside;
    }
    var sum = 0.0;
    if EXIT == 0u {
        for (var c = 0u; c < DIM; c++) {
            sum += slot(p.exit_vector, c) * x[c];
        }
    } else {
        for (var c = 0u; c < DIM; c++) {
            let y = x[c] - slot(p.exit_vector, c);
            sum += y * y;
        }
    }
    return sum >= p.exit_scalar.x;
}
