// Threefry-2x32-20 (Random123), twin of src/rng/threefry.rs. Written out in
// full: no loop and no indexed key array (which some drivers spill to memory).

const KEY_PARITY: u32 = 0x1BD11BDAu;

fn rotl(x: u32, r: u32) -> u32 {
    return (x << r) | (x >> (32u - r));
}

// Four rounds with the rotations of an odd (13, 15, 26, 6) or even (17, 29, 16, 24) injection.
fn rounds_odd(x: vec2<u32>) -> vec2<u32> {
    var a = x.x;
    var b = x.y;
    a += b; b = rotl(b, 13u) ^ a;
    a += b; b = rotl(b, 15u) ^ a;
    a += b; b = rotl(b, 26u) ^ a;
    a += b; b = rotl(b, 6u) ^ a;
    return vec2<u32>(a, b);
}

fn rounds_even(x: vec2<u32>) -> vec2<u32> {
    var a = x.x;
    var b = x.y;
    a += b; b = rotl(b, 17u) ^ a;
    a += b; b = rotl(b, 29u) ^ a;
    a += b; b = rotl(b, 16u) ^ a;
    a += b; b = rotl(b, 24u) ^ a;
    return vec2<u32>(a, b);
}

fn threefry2x32_20(counter: vec2<u32>, key: vec2<u32>) -> vec2<u32> {
    let k0 = key.x;
    let k1 = key.y;
    let k2 = KEY_PARITY ^ k0 ^ k1;
    var x = vec2<u32>(counter.x + k0, counter.y + k1);
    x = rounds_odd(x);
    x += vec2<u32>(k1, k2 + 1u);
    x = rounds_even(x);
    x += vec2<u32>(k2, k0 + 2u);
    x = rounds_odd(x);
    x += vec2<u32>(k0, k1 + 3u);
    x = rounds_even(x);
    x += vec2<u32>(k1, k2 + 4u);
    x = rounds_odd(x);
    x += vec2<u32>(k2, k0 + 5u);
    return x;
}
