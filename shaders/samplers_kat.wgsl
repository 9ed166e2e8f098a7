// Known-answer kernel: Threefry words and sampler outputs for given
// (counter, key) pairs, compared bit for bit with src/rng in the tests.
#import fastmath
#import threefry
#import samplers

struct KatInput {
    counter: vec2<u32>,
    key: vec2<u32>,
    // (alpha, beta, shift, scale) of a stable law
    law: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> inputs: array<KatInput>;
// per input: threefry words (2), box_muller (2, f32 bits), exponential of word 0, stable
@group(0) @binding(1) var<storage, read_write> outputs: array<vec4<u32>>;

@compute @workgroup_size(WORKGROUP)
fn samplers_kat(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= arrayLength(&inputs) {
        return;
    }
    let input = inputs[i];
    let w = threefry2x32_20(input.counter, input.key);
    let z = box_muller(w);
    outputs[2u * i] = vec4<u32>(w.x, w.y, bitcast<u32>(z.x), bitcast<u32>(z.y));
    let e = -fm_ln(uniform_open_closed(w.x));
    outputs[2u * i + 1u] = vec4<u32>(bitcast<u32>(e), bitcast<u32>(stable(w, input.law)), 0u, 0u);
}
