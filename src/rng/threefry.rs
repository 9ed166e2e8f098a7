//! Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as
//! easy as 1, 2, 3", SC'11), bit-identical to Random123 and to
//! `shaders/shared/threefry.wgsl`.

/// Rotation constants of Threefry-2x32 (Random123 `R_32x2_*`).
const ROTATIONS: [u32; 8] = [13, 15, 26, 6, 17, 29, 16, 24];
/// Skein key-schedule parity constant for 32-bit words.
const KEY_PARITY: u32 = 0x1BD1_1BDA;

/// One Threefry-2x32-20 block: 64 random bits from a 64-bit counter and a 64-bit key.
#[inline(always)]
pub fn threefry2x32_20(counter: [u32; 2], key: [u32; 2]) -> [u32; 2] {
    let schedule = [key[0], key[1], KEY_PARITY ^ key[0] ^ key[1]];
    let mut x0 = counter[0].wrapping_add(schedule[0]);
    let mut x1 = counter[1].wrapping_add(schedule[1]);
    for injection in 1..=5u32 {
        for r in 0..4 {
            x0 = x0.wrapping_add(x1);
            x1 = x1.rotate_left(ROTATIONS[((injection as usize - 1) * 4 + r) % 8]);
            x1 ^= x0;
        }
        x0 = x0.wrapping_add(schedule[injection as usize % 3]);
        x1 = x1
            .wrapping_add(schedule[(injection as usize + 1) % 3])
            .wrapping_add(injection);
    }
    [x0, x1]
}

/// Threefry-2x32-20 on `N` lanes at once (same key, one counter pair per lane),
/// written as plain lane loops so that the compiler emits vector rotates.
#[inline(always)]
pub fn threefry2x32_20_lanes<const N: usize>(
    c0: &[u32; N],
    c1: &[u32; N],
    key: [u32; 2],
) -> ([u32; N], [u32; N]) {
    let schedule = [key[0], key[1], KEY_PARITY ^ key[0] ^ key[1]];
    let mut x0 = [0u32; N];
    let mut x1 = [0u32; N];
    for l in 0..N {
        x0[l] = c0[l].wrapping_add(schedule[0]);
        x1[l] = c1[l].wrapping_add(schedule[1]);
    }
    for injection in 1..=5usize {
        for r in 0..4 {
            let rot = ROTATIONS[((injection - 1) * 4 + r) % 8];
            for l in 0..N {
                x0[l] = x0[l].wrapping_add(x1[l]);
                x1[l] = x1[l].rotate_left(rot) ^ x0[l];
            }
        }
        let k0 = schedule[injection % 3];
        let k1 = schedule[(injection + 1) % 3].wrapping_add(injection as u32);
        for l in 0..N {
            x0[l] = x0[l].wrapping_add(k0);
            x1[l] = x1[l].wrapping_add(k1);
        }
    }
    (x0, x1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123 `kat_vectors`, threefry2x32_20 (docs/theory.md §6).
    const KAT: [([u32; 2], [u32; 2], [u32; 2]); 3] = [
        ([0, 0], [0, 0], [0x6b20_0159, 0x99ba_4efe]),
        (
            [0xffff_ffff, 0xffff_ffff],
            [0xffff_ffff, 0xffff_ffff],
            [0x1cb9_96fc, 0xbb00_2be7],
        ),
        (
            [0x243f_6a88, 0x85a3_08d3],
            [0x1319_8a2e, 0x0370_7344],
            [0xc492_3a9c, 0x483d_f7a0],
        ),
    ];

    #[test]
    fn random123_known_answers() {
        for (counter, key, expected) in KAT {
            assert_eq!(
                threefry2x32_20(counter, key),
                expected,
                "counter {counter:08x?}"
            );
        }
    }

    #[test]
    fn lanes_match_scalar() {
        let key = [0x1319_8a2e, 0x0370_7344];
        let c0: [u32; 16] = std::array::from_fn(|l| 0x243f_6a88u32.wrapping_mul(l as u32 + 1));
        let c1: [u32; 16] = std::array::from_fn(|l| (l as u32) << 20);
        let (a, b) = threefry2x32_20_lanes(&c0, &c1, key);
        for l in 0..16 {
            assert_eq!([a[l], b[l]], threefry2x32_20([c0[l], c1[l]], key));
        }
    }
}
