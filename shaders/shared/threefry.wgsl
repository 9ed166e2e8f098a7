// Threefry-2x32-20 (Random123), twin of src/rng/threefry.rs.

const KEY_PARITY: u32 = 0x1BD11BDAu;

fn rotl(x: u32, r: u32) -> u32 {
    return (x << r) | (x >> (32u - r));
}

fn threefry_round(x: ptr<function, vec2<u32>>, r: u32) {
    (*x).x = (*x).x + (*x).y;
    (*x).y = rotl((*x).y, r) ^ (*x).x;
}

fn threefry2x32_20(counter: vec2<u32>, key: vec2<u32>) -> vec2<u32> {
    var ks = array<u32, 3>(key.x, key.y, KEY_PARITY ^ key.x ^ key.y);
    var x = vec2<u32>(counter.x + ks[0], counter.y + ks[1]);
    for (var injection = 1u; injection <= 5u; injection++) {
        if (injection & 1u) == 1u {
            threefry_round(&x, 13u);
            threefry_round(&x, 15u);
            threefry_round(&x, 26u);
            threefry_round(&x, 6u);
        } else {
            threefry_round(&x, 17u);
            threefry_round(&x, 29u);
            threefry_round(&x, 16u);
            threefry_round(&x, 24u);
        }
        x.x = x.x + ks[injection % 3u];
        x.y = x.y + ks[(injection + 1u) % 3u] + injection;
    }
    return x;
}
