// Samplers on Threefry words, twin of src/rng/samplers.rs.

const TWO_POW_MINUS_24: f32 = 5.9604644775390625e-8;
const TWO_POW_MINUS_23: f32 = 1.1920928955078125e-7;
const PI: f32 = 3.14159265358979324;
const FRAC_PI_2: f32 = 1.57079632679489662;

fn uniform_open_closed(word: u32) -> f32 {
    return f32(i32((word >> 8u) + 1u)) * TWO_POW_MINUS_24;
}

// Midpoints of 2^23 cells: exact in f32, never 0 or 1.
fn uniform_open(word: u32) -> f32 {
    return (f32(i32(word >> 9u)) + 0.5) * TWO_POW_MINUS_23;
}

fn box_muller(w: vec2<u32>) -> vec2<f32> {
    let radius = sqrt(-2.0 * fm_ln(uniform_open_closed(w.x)));
    let sc = sin_cos_turns(uniform_open_closed(w.y));
    return vec2<f32>(radius * sc.y, radius * sc.x);
}

// Chambers–Mallows–Stuck; law = (alpha, beta, shift B, scale S).
fn stable(w: vec2<u32>, law: vec4<f32>) -> f32 {
    let v = PI * (uniform_open(w.x) - 0.5);
    let e = -fm_ln(uniform_open(w.y));
    let a = law.x;
    if a == 1.0 {
        let sc = fm_sin_cos(v);
        let lever = FRAC_PI_2 + law.y * v;
        let tan_v = sc.x / sc.y;
        let log_term = fm_ln(FRAC_PI_2 * e * sc.y / lever);
        return (lever * tan_v - law.y * log_term) * (2.0 / PI);
    }
    let shifted = a * (v + law.z);
    let sin_shifted = fm_sin_cos(shifted).x;
    let cos_v = fm_sin_cos(v).y;
    let cos_rest = fm_sin_cos(v - shifted).y;
    let log_magnitude = -fm_ln(cos_v) / a + (1.0 - a) / a * (fm_ln(cos_rest) - fm_ln(e));
    return law.w * sin_shifted * fm_exp(log_magnitude);
}
