//! The formula pipeline: parsing (precedence, errors with columns),
//! derivatives against finite differences, the f32 lanes against f64, and
//! the generated WGSL through naga.

use super::*;
use crate::simd::{Lanes, LANES};

fn compile(source: &str, dim: usize, params: &[&str]) -> (Graph, Id, Vec<String>) {
    let params: Vec<String> = params.iter().map(|s| s.to_string()).collect();
    let mut graph = Graph::default();
    let mut slots = Vec::new();
    let scope = Scope {
        field: "potential.u",
        dim,
        loss: true,
        params: &params,
    };
    let root = parse(&mut graph, source, &scope, &mut slots).unwrap_or_else(|e| panic!("{e}"));
    (graph, root, slots)
}

fn eval1(source: &str, x: f64) -> f64 {
    let (graph, root, _) = compile(source, 1, &[]);
    Program::compile(&graph, &[root]).eval(&[x], 0.0, 0.0, &[])[0]
}

fn error(source: &str, dim: usize) -> (usize, String) {
    let params = vec!["h".to_string()];
    let mut graph = Graph::default();
    let scope = Scope {
        field: "potential.u",
        dim,
        loss: false,
        params: &params,
    };
    match parse(&mut graph, source, &scope, &mut Vec::new()) {
        Err(crate::error::Error::Expression {
            column, message, ..
        }) => (column, message),
        other => panic!("{source:?}: expected an expression error, got {other:?}"),
    }
}

#[test]
fn precedence_and_associativity() {
    let x: f64 = 0.7;
    let cases: &[(&str, f64)] = &[
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("2 ^ 3 ^ 2", 512.0),
        ("-2 ^ 2", -4.0),
        ("2 ^ -1", 0.5),
        ("8 / 4 / 2", 1.0),
        ("10 - 4 - 3", 3.0),
        ("-x * 2", -1.4),
        ("x ^ 2.5", 0.7f64.powf(2.5)),
        ("1e-1 * 20", 2.0),
        ("min(3, x) + max(3, x)", 3.7),
        ("if(x < 1, 5, 6)", 5.0),
        ("if(x >= 1, 5, 6)", 6.0),
        ("abs(-x)", x),
        ("tanh(x)", x.tanh()),
        ("tan(x)", x.tan()),
        ("log(exp(x))", x),
        ("ln(x) - log(x)", 0.0),
        ("sqrt(x) * sqrt(x)", x),
        ("pi", std::f64::consts::PI),
        ("sin(x)^2 + cos(x)^2", 1.0),
    ];
    for (source, expected) in cases {
        let got = eval1(source, x);
        assert!(
            (got - expected).abs() < 1e-12,
            "{source}: {got} != {expected}"
        );
    }
}

#[test]
fn derivatives_match_finite_differences() {
    let formulas = [
        "h * (x^2 - 1)^2",
        "exp(-x^2) * sin(3 * x) + x^3 / 7",
        "tanh(x) * ln(2 + x^2) - sqrt(1 + x^2)",
        "x ^ 2.5 + 2 ^ x",
        "if(x <= 0.3, 0.5 * (x - 0.1)^2, 1 - 2 * (x - 0.8)^2)",
        "abs(x - 0.2) + min(x, 0.5) * max(x, -0.5) + tan(x / 3)",
    ];
    for source in formulas {
        let (mut graph, root, _) = compile(source, 1, &["h"]);
        let d = graph.d(root, Wrt::Var(0));
        let program = Program::compile(&graph, &[root, d]);
        for i in 1..40 {
            let x = 0.05 + i as f64 * 0.0487;
            let h = 1e-6;
            let f = |x: f64| program.eval(&[x], 0.0, 0.0, &[1.3])[0];
            let numeric = (f(x + h) - f(x - h)) / (2.0 * h);
            let symbolic = program.eval(&[x], 0.0, 0.0, &[1.3])[1];
            // away from kinks, where both sides agree
            if ((x - 0.2).abs() > 2e-6) && ((x - 0.3).abs() > 2e-6) && ((x - 0.5).abs() > 2e-6) {
                assert!(
                    (numeric - symbolic).abs() < 1e-6 * (1.0 + symbolic.abs()),
                    "{source} at {x}: {symbolic} vs finite difference {numeric}"
                );
            }
        }
    }
}

#[test]
fn multi_dimensional_gradient_and_loss_chain_rule() {
    let (mut graph, root, slots) = compile("a * x1^2 * x2 + sin(x2) + u^2 * x1", 2, &["a"]);
    assert_eq!(slots, vec!["a".to_string()]);
    let g1 = graph.d(root, Wrt::Var(0));
    let g2 = graph.d(root, Wrt::Var(1));
    let gu = graph.d(root, Wrt::Loss);
    let p = Program::compile(&graph, &[g1, g2, gu]);
    let (x1, x2, u, a) = (0.3, -1.2, 0.8, 2.0);
    let out = p.eval(&[x1, x2], u, 0.0, &[a]);
    assert!((out[0] - (2.0 * a * x1 * x2 + u * u)).abs() < 1e-12);
    assert!((out[1] - (a * x1 * x1 + x2.cos())).abs() < 1e-12);
    assert!((out[2] - 2.0 * u * x1).abs() < 1e-12);
}

/// `source` (parameter `h`) and its derivative in `x`, as one program.
fn value_and_slope(source: &str) -> Program {
    let (mut graph, root, _) = compile(source, 1, &["h"]);
    let d = graph.d(root, Wrt::Var(0));
    Program::compile(&graph, &[root, d])
}

/// `x` on the lanes: `start + l * step` on lane `l`.
fn lanes_from(start: f32, step: f32) -> [Lanes; 1] {
    [std::array::from_fn(|l| start + l as f32 * step)]
}

/// The two outputs of `program` on the lanes `x`, with `h = 1.5`.
fn run_on_lanes(program: &Program, x: &[Lanes; 1]) -> [Lanes; 2] {
    let mut scratch = program.scratch(&[1.5]);
    let zero = [0f32; LANES];
    program.run_lanes(&mut scratch, x, &zero, &zero);
    [0, 1].map(|k| *program.output(&scratch, k))
}

/// Every lane of both outputs within `tolerance` (relative) of the f64 evaluation.
fn assert_lanes_match_f64(source: &str, x: &[Lanes; 1], tolerance: f64) {
    let program = value_and_slope(source);
    let lanes = run_on_lanes(&program, x);
    for (l, &xl) in x[0].iter().enumerate() {
        let exact = program.eval(&[xl as f64], 0.0, 0.0, &[1.5]);
        for (k, e) in exact.iter().enumerate() {
            let got = lanes[k][l] as f64;
            assert!(
                (got - e).abs() < tolerance * (1.0 + e.abs()),
                "{source}: output {k} at x = {xl}: {got} vs {e}"
            );
        }
    }
}

#[test]
fn lanes_agree_with_f64_to_f32_rounding() {
    assert_lanes_match_f64(
        "h * (x^2 - 1)^2 + exp(-x) * cos(x) - ln(1 + x^2) + if(x < 0.5, x, -x)",
        &lanes_from(-2.0, 0.13),
        1e-5,
    );
}

#[test]
fn constants_fold_and_common_subexpressions_are_shared() {
    let (graph, root, _) = compile("(x^2 - 1)^2 + (x^2 - 1)^2 + 2 * 3", 1, &[]);
    let program = Program::compile(&graph, &[root]);
    // x, x*x, -1 folded into a subtraction, its square, the sum, +6: no second copy
    assert!(
        program.len() <= 6,
        "{} instructions: {program:?}",
        program.len()
    );
    assert_eq!(program.eval(&[2.0], 0.0, 0.0, &[])[0], 9.0 + 9.0 + 6.0);
}

#[test]
fn errors_name_the_column_and_what_is_allowed() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("h * (x^2 - 1)^^2", 1, 15, "expected a value"),
        ("h * y", 1, 5, "unknown name `y`"),
        ("sinh(x)", 1, 1, "unknown function `sinh`"),
        ("min(x)", 1, 1, "takes 2 arguments, given 1"),
        ("x1 + x3", 2, 6, "`x3` is not a coordinate"),
        ("x + 1", 2, 1, "`x` is the coordinate of a 1-D model"),
        ("(x + 1", 1, 7, "expected `)`"),
        ("x + 1)", 1, 6, "unmatched `)`"),
        ("x < 1", 1, 3, "comparison `<` outside `if"),
        ("if(x, 1, 2)", 1, 5, "`if` starts with a comparison"),
        (
            "u * x",
            1,
            1,
            "`u` (the potential's value) can appear only in noise",
        ),
        ("x $ 2", 1, 3, "unexpected character `$`"),
        ("exp", 1, 1, "`exp` is a function"),
        ("", 1, 1, "expected a value, found the end"),
    ];
    for (source, dim, column, message) in cases {
        let (c, m) = error(source, *dim);
        assert!(m.contains(message), "{source:?}: {m:?} lacks {message:?}");
        assert_eq!(c, *column, "{source:?}: column of {m:?}");
    }
}

#[test]
fn the_error_message_shows_a_caret_under_the_column() {
    let params = vec![];
    let scope = Scope {
        field: "noise.d",
        dim: 1,
        loss: true,
        params: &params,
    };
    let e = parse(&mut Graph::default(), "0.5 + q", &scope, &mut Vec::new()).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("`noise.d` at column 7"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1].trim_start(), "0.5 + q");
    let caret = lines[2].find('^').unwrap();
    assert_eq!(&lines[1][caret..caret + 1], "q", "{text}");
    assert!(e.is_bad_input());
}

#[test]
fn more_than_eight_parameters_in_one_table_are_refused() {
    let names: Vec<String> = (0..9).map(|k| format!("p{k}")).collect();
    let source = names.join(" + ");
    let scope = Scope {
        field: "potential.u",
        dim: 1,
        loss: false,
        params: &names,
    };
    let e = parse(&mut Graph::default(), &source, &scope, &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("at most 8 parameters"), "{e}");
}

#[test]
fn fused_lane_instructions_compute_what_the_plain_ones_do() {
    // chains of arithmetic (fused pairs), shared subexpressions (not fused)
    let formulas = [
        "((x * 2 - 1) * 3 + 4) / 5 - x",
        "h * (x^2 - 1)^2",
        "(x + 1) * (x - 1) / (x * x + 2) - (3 - x) * 0.5",
        "exp(x * 0.5 - 1) * (x + 3) - ln(x * x + 1) / (2 + x)",
        "x",
        "2 * x",
    ];
    for source in formulas {
        assert_lanes_match_f64(source, &lanes_from(-1.9, 0.117), 1e-4);
    }
}

#[test]
fn every_instruction_set_computes_the_same_bits() {
    // The interpreter is compiled once per instruction set; the kernels of
    // every set must give the backends' agreement the same f32 results.
    let program = value_and_slope(
        "h * (x^2 - 1)^2 + exp(-x) * sin(x) / (2 + cos(x)) - ln(1 + x^2) + sqrt(abs(x)) + max(x, 0.3)",
    );
    let x = lanes_from(-3.1, 0.21);
    let run = |isa| run_on_lanes(&program.clone().with_isa(isa), &x).map(|o| o.map(f32::to_bits));
    let available = crate::simd::Isa::available();
    let reference = run(crate::simd::Isa::Baseline);
    for isa in available {
        assert_eq!(run(isa), reference, "{}", isa.name());
    }
}

/// The lanes of a 2-D program's outputs: `x1`, `x2`, `u` and the gradient
/// input on the lanes, with parameters `a = 1.5`, `b = -0.25`.
fn run_inputs(program: &Program, x: &[Lanes; 2], loss: &Lanes, grad: &Lanes) -> Vec<Vec<u32>> {
    let mut scratch = program.scratch(&[1.5, -0.25]);
    program.run_lanes(&mut scratch, x, loss, grad);
    (0..program.outputs_len())
        // every NaN alike: its payload is not part of the contract
        .map(|k| {
            program
                .output(&scratch, k)
                .iter()
                .map(|v| if v.is_nan() { u32::MAX } else { v.to_bits() })
                .collect()
        })
        .collect()
}

#[test]
fn machine_code_computes_the_interpreters_bits() {
    // Every operation, selects on every comparison, values live across the
    // transcendental calls, outputs that are inputs or constants, and more
    // live values than the sixteen vector registers (spills).
    let wide: Vec<String> = (1..=24).map(|k| format!("(x1 * {k} + x2)")).collect();
    let long = format!("{} + {}", wide.join(" * 0.01 + "), wide.join(" / "));
    let formulas = [
        "a * (x1^2 - 1)^2 + b * x2",
        "-x1 / (x2 - 0.5) + abs(x2 - x1) - sqrt(x1)",
        "min(x1, x2) * max(x2, b) - min(a, x1) + max(x1, 0)",
        "if(x1 < x2, x1, u) + if(x1 <= 0.5, 1, x2) + if(x1 > b, x2 * x2, 3) + if(x1 >= x2, u, x2 * u) + if(x1 == 0, 7, x2) + if(x2 != 0.25, x1, 9)",
        "exp(x1) + ln(x2) * x1 + sin(x1 * x2) - cos(u) + exp(a)",
        "exp(ln(exp(x1 * 0.1) + 1) * x2) * sin(x2) + u * x2 * x1",
        "x1",
        "u",
        "a",
        "2.5",
        long.as_str(),
    ];
    // ordinary values, zeros of both signs, infinities, NaN, huge and tiny
    let special = [
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1e30,
        -1e-30,
        0.25,
        1.0,
        -1.0,
    ];
    let x: [Lanes; 2] = [
        std::array::from_fn(|l| {
            if l < special.len() {
                special[l]
            } else {
                -3.0 + l as f32 * 0.097
            }
        }),
        std::array::from_fn(|l| {
            if l >= 54 {
                special[l - 54]
            } else {
                2.0 - l as f32 * 0.061
            }
        }),
    ];
    let loss: Lanes = std::array::from_fn(|l| 0.5 + l as f32 * 0.01);
    let grad: Lanes = std::array::from_fn(|l| {
        if l % 7 == 3 {
            f32::NAN
        } else {
            -1.0 + l as f32 * 0.03
        }
    });
    let mut compiled = 0;
    for source in formulas {
        let mut graph = Graph::default();
        let root = parse_noise_2d(&mut graph, source);
        // the value, its derivatives (through `u` too: the gradient input) and a sum of them
        let d1 = graph.d(root, Wrt::Var(0));
        let d2 = graph.d(root, Wrt::Var(1));
        let du = graph.d(root, Wrt::Loss);
        let grad_input = graph.input(Node::Grad);
        let chain = graph.mul(du, grad_input);
        let slope = graph.add(d1, chain);
        let program = Program::compile(&graph, &[root, d1, d2, slope]);
        compiled += program.compiled() as usize;
        assert_machine_code_matches(&program, &x, &loss, &grad, source);
    }
    // machine code wherever the CPU has AVX2 (the CI machines do)
    if crate::simd::Isa::detect() != crate::simd::Isa::Baseline {
        assert_eq!(compiled, formulas.len());
    }
}

/// A 2-D noise formula over `x1`, `x2`, `u` and the parameters `a`, `b`.
fn parse_noise_2d(graph: &mut Graph, source: &str) -> Id {
    let params = vec!["a".to_string(), "b".to_string()];
    let scope = Scope {
        field: "noise.d",
        dim: 2,
        loss: true,
        params: &params,
    };
    parse(graph, source, &scope, &mut Vec::new()).unwrap_or_else(|e| panic!("{source}: {e}"))
}

/// The machine code's outputs equal the interpreter's bit for bit (NaN as NaN).
fn assert_machine_code_matches(
    program: &Program,
    x: &[Lanes; 2],
    loss: &Lanes,
    grad: &Lanes,
    source: &str,
) {
    let interpreted = program.clone().interpreted();
    assert!(!interpreted.compiled());
    let (machine, reference) = (
        run_inputs(program, x, loss, grad),
        run_inputs(&interpreted, x, loss, grad),
    );
    for (k, (m, r)) in machine.iter().zip(&reference).enumerate() {
        for l in 0..LANES {
            assert_eq!(
                m[l],
                r[l],
                "{source}: output {k}, lane {l} (x1 = {}, x2 = {}): {} against {}",
                x[0][l],
                x[1][l],
                f32::from_bits(m[l]),
                f32::from_bits(r[l])
            );
        }
    }
}

/// Formulas over `x1`, `x2`, `u`, `a` and `b`, of every operation and function.
fn formula() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just("x1".to_string()),
        Just("x2".to_string()),
        Just("u".to_string()),
        Just("a".to_string()),
        Just("b".to_string()),
        Just("0".to_string()),
        Just("0.5".to_string()),
        Just("2".to_string()),
        Just("3.25".to_string()),
    ];
    leaf.prop_recursive(6, 48, 3, |inner| {
        let op = prop_oneof![Just("+"), Just("-"), Just("*"), Just("/")];
        let function = prop_oneof![
            Just("sqrt"),
            Just("exp"),
            Just("ln"),
            Just("sin"),
            Just("cos"),
            Just("abs"),
            Just("tanh")
        ];
        let cmp = prop_oneof![
            Just("<"),
            Just("<="),
            Just(">"),
            Just(">="),
            Just("=="),
            Just("!=")
        ];
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
            inner.clone().prop_map(|a| format!("-{a}")),
            (function, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("max({a}, {b})")),
            (inner.clone(), 1..4i32).prop_map(|(a, n)| format!("{a}^{n}")),
            (inner.clone(), cmp, inner.clone(), inner.clone(), inner)
                .prop_map(|(a, c, b, t, e)| format!("if({a} {c} {b}, {t}, {e})")),
        ]
    })
}

#[test]
fn machine_code_computes_the_interpreters_bits_on_random_formulas() {
    // Random formulas (and their derivatives, which share subexpressions and
    // add selects): PROPTEST_CASES cases (default 256), fixed seed.
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    // ordinary values, and in the last lanes zeros of both signs, infinities and NaN
    let special = [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1.0];
    let x: [Lanes; 2] = [
        std::array::from_fn(|l| {
            if l >= 58 {
                special[l - 58]
            } else {
                -2.0 + l as f32 * 0.07
            }
        }),
        std::array::from_fn(|l| {
            if l >= 58 {
                special[63 - l]
            } else {
                1.5 - l as f32 * 0.043
            }
        }),
    ];
    let loss: Lanes = std::array::from_fn(|l| 0.25 + l as f32 * 0.02);
    let grad: Lanes = std::array::from_fn(|l| 1.0 - l as f32 * 0.03);
    runner
        .run(&formula(), |source| {
            let mut graph = Graph::default();
            let root = parse_noise_2d(&mut graph, &source);
            let d1 = graph.d(root, Wrt::Var(0));
            let d2 = graph.d(root, Wrt::Var(1));
            let du = graph.d(root, Wrt::Loss);
            let program = Program::compile(&graph, &[root, d1, d2, du]);
            assert_machine_code_matches(&program, &x, &loss, &grad, &source);
            Ok(())
        })
        .unwrap();
}
