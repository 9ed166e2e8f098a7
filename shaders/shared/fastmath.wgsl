// Branch-free f32 elementary functions (Cephes polynomials), operation for
// operation the twin of src/rng/fastmath.rs, so that CPU and GPU round alike.

const SQRT_HALF: f32 = 0.70710678118654752;
const ROUNDING_MAGIC: f32 = 12582912.0;
const LOG2_E: f32 = 1.44269504088896341;
const TAU: f32 = 6.28318530717958648;
const FRAC_2_PI: f32 = 0.636619772367581343;

struct Rounded {
    value: f32,
    integer: i32,
}

// The nearest integer, ties to even, for |y| < 2^22, as f32 and as i32. The
// f32 comes back from the integer: GPU compilers may fold (y + M) - M into y.
fn round_nearest(y: f32) -> Rounded {
    let integer = bitcast<i32>(y + ROUNDING_MAGIC) - bitcast<i32>(ROUNDING_MAGIC);
    return Rounded(f32(integer), integer);
}

fn fm_ln(x: f32) -> f32 {
    let bits = bitcast<u32>(x);
    let exponent = i32((bits >> 23u) & 0xffu) - 126;
    let mantissa = bitcast<f32>((bits & 0x007fffffu) | 0x3f000000u);
    let below = mantissa < SQRT_HALF;
    let e = f32(select(exponent, exponent - 1, below));
    let m = select(mantissa - 1.0, mantissa + mantissa - 1.0, below);
    let z = m * m;
    var p = 7.0376836292e-2;
    p = p * m - 1.1514610310e-1;
    p = p * m + 1.1676999e-1;
    p = p * m - 1.2420140846e-1;
    p = p * m + 1.4249322787e-1;
    p = p * m - 1.6668057665e-1;
    p = p * m + 2.0000715e-1;
    p = p * m - 2.4999993993e-1;
    p = p * m + 3.3333331174e-1;
    var y = p * m * z;
    y += -2.12194440e-4 * e;
    y += -0.5 * z;
    return (m + y) + 0.693359375 * e;
}

fn fm_exp(x_in: f32) -> f32 {
    let x = clamp(x_in, -87.0, 88.0);
    let rounded = round_nearest(x * LOG2_E);
    let nf = rounded.value;
    let n = rounded.integer;
    let r = x - nf * 0.693359375 - nf * -2.12194440e-4;
    let z = r * r;
    var p = 1.9875691500e-4;
    p = p * r + 1.3981999507e-3;
    p = p * r + 8.3334519073e-3;
    p = p * r + 4.1665795894e-2;
    p = p * r + 1.6666665459e-1;
    p = p * r + 5.0000001201e-1;
    let y = p * z + r + 1.0;
    return y * bitcast<f32>(u32(n + 127) << 23u);
}

fn sin_kernel(r: f32) -> f32 {
    let z = r * r;
    return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
}

fn cos_kernel(r: f32) -> f32 {
    let z = r * r;
    return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
}

// (sin, cos) of r + quadrant * pi/2.
fn quadrant_sin_cos(r: f32, quadrant: i32) -> vec2<f32> {
    let s = sin_kernel(r);
    let c = cos_kernel(r);
    let swap = (quadrant & 1) != 0;
    var sin_v = select(s, c, swap);
    var cos_v = select(c, s, swap);
    sin_v = select(sin_v, -sin_v, (quadrant & 2) != 0);
    cos_v = select(cos_v, -cos_v, ((quadrant + 1) & 2) != 0);
    return vec2<f32>(sin_v, cos_v);
}

// (sin, cos) of 2 pi u, u in [0, 1].
fn sin_cos_turns(u: f32) -> vec2<f32> {
    let rounded = round_nearest(u * 4.0);
    let fraction = u - rounded.value * 0.25;
    return quadrant_sin_cos(fraction * TAU, rounded.integer);
}

fn fm_sin_cos(x: f32) -> vec2<f32> {
    let rounded = round_nearest(x * FRAC_2_PI);
    let q = rounded.value;
    let r = ((x - q * 1.5703125) - q * 4.837512969970703125e-4) - q * 7.54978995489188216e-8;
    return quadrant_sin_cos(r, rounded.integer);
}
