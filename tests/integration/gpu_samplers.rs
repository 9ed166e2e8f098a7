//! GPU vs CPU on the same streams, tier 1: the WGSL Threefry and samplers give
//! the CPU's words bit for bit, and samples within a few ulp (device
//! transcendentals and fused multiply-adds are not bit-exact).

use crate::common;

use kramers::backend::gpu::KatInput;
use kramers::rng::{box_muller, exponential, stable, threefry2x32_20, StableSampler};

#[test]
fn threefry_and_samplers_match_cpu() {
    let Some(gpu) = common::gpu() else { return };
    let laws = [
        StableSampler::new(1.5, 0.0),
        StableSampler::new(1.0, 0.0),
        StableSampler::new(0.8, 0.5),
    ];
    let mut inputs = vec![
        // Random123 known-answer vectors
        KatInput {
            counter: [0, 0],
            key: [0, 0],
            law: [1.5, 0.0, 0.0, 1.0],
        },
        KatInput {
            counter: [u32::MAX, u32::MAX],
            key: [u32::MAX, u32::MAX],
            law: [1.5, 0.0, 0.0, 1.0],
        },
        KatInput {
            counter: [0x243f_6a88, 0x85a3_08d3],
            key: [0x1319_8a2e, 0x0370_7344],
            law: [1.5, 0.0, 0.0, 1.0],
        },
    ];
    for i in 0..3000u32 {
        let law = laws[(i % 3) as usize];
        inputs.push(KatInput {
            counter: [i, i.wrapping_mul(2_654_435_761)],
            key: [7, i % 5],
            law: [law.alpha, law.beta, law.shift, law.scale],
        });
    }
    let out = gpu.samplers_kat(&inputs).expect("kernel runs");
    assert_eq!(out[0].words, [0x6b20_0159, 0x99ba_4efe]);
    assert_eq!(out[1].words, [0x1cb9_96fc, 0xbb00_2be7]);
    assert_eq!(out[2].words, [0xc492_3a9c, 0x483d_f7a0]);
    let close = |a: f32, b: f32, what: &str, i: usize| {
        let tolerance = 4.0 * f32::EPSILON * b.abs().max(1.0);
        assert!(
            (a - b).abs() <= tolerance,
            "{what} of input {i}: gpu {a} cpu {b}"
        );
    };
    for (i, (input, o)) in inputs.iter().zip(&out).enumerate() {
        let words = threefry2x32_20(input.counter, input.key);
        assert_eq!(o.words, words, "threefry words of input {i}");
        let (z0, z1) = box_muller(words[0], words[1]);
        close(o.normals[0], z0, "normal 0", i);
        close(o.normals[1], z1, "normal 1", i);
        close(o.exponential, exponential(words[0]), "exponential", i);
        let law = StableSampler {
            alpha: input.law[0],
            beta: input.law[1],
            shift: input.law[2],
            scale: input.law[3],
        };
        let s = stable(words[0], words[1], &law);
        let tolerance = 64.0 * f32::EPSILON * s.abs().max(1.0);
        assert!(
            (o.stable - s).abs() <= tolerance,
            "stable of input {i}: gpu {} cpu {s}",
            o.stable
        );
    }
}
