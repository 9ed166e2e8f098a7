//! Fuzzing the experiment parser and validator with proptest: every example
//! in `assets/` and every file of `tests/bad-input/`, mutated (bytes inserted,
//! deleted or replaced; lines dropped, doubled or swapped; values replaced by
//! hostile ones: NaN, infinities, huge and negative numbers, empty and nested
//! lists, strings, tables), and TOML assembled from known keys with such
//! values. `Experiment::from_toml` must return `Ok` or `Err`, never panic; an
//! accepted experiment must also give its warnings, fingerprint and overrides.
//! Cases per property: `PROPTEST_CASES` (default 2000); see README "Tests".

use kramers::spec::Experiment;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::path::Path;

fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["assets", "assets/bench", "tests/bad-input"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files.sort();
    assert!(files.len() > 30, "the corpus is missing");
    files
}

const VALUES: &[&str] = &[
    "0",
    "-0.0",
    "1",
    "-1",
    "2",
    "0.5",
    "1e-320",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "1000000000",
    "1000000001",
    "100000",
    "[]",
    "[[]]",
    "[1, 2]",
    "[0.0, 0.0]",
    "[nan]",
    "[1, \"ito\"]",
    "[[1, 2], [3]]",
    "[1,2,3,4,5,6,7,8,9]",
    "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]",
    "\"\"",
    "\"ito\"",
    "\"anti-ito\"",
    "\"top\"",
    "\"ball\"",
    "\"npy\"",
    "\"u32\"",
    "true",
    "false",
    "{}",
    "{ range = [1, 0], bins = 3 }",
    "{ range = [-1e308, 1e308], bins = 1048576 }",
    "{ range = [0, 1], bins = 0 }",
    "1979-05-27",
    "0x10",
    "1_000",
    "+inf",
];

const KEYS: &[&str] = &[
    "name",
    "seed",
    "dt",
    "max_steps",
    "trajectories",
    "dim",
    "start",
    "start_point",
    "kind",
    "curvature",
    "center",
    "height",
    "half_width",
    "curvature_min",
    "curvature_top",
    "minimum",
    "scale",
    "data_size",
    "data_variance",
    "d0",
    "d2",
    "rho",
    "k",
    "index",
    "sigma",
    "beta",
    "interpretation",
    "normal",
    "threshold",
    "radius",
    "bridge",
    "histogram",
    "fpt_file",
    "batch",
    "lower",
    "upper",
];

#[derive(Clone, Debug)]
enum Mutation {
    InsertByte(usize, u8),
    DeleteByte(usize),
    ReplaceByte(usize, u8),
    DropLine(usize),
    DoubleLine(usize),
    SwapLines(usize, usize),
    ReplaceValue(usize, usize),
    AddPair(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        Just(b'['),
        Just(b']'),
        Just(b'='),
        Just(b'"'),
        Just(b'\n'),
        Just(b'-'),
        Just(b'.'),
        Just(b'e'),
        Just(b'0'),
        Just(b'9'),
        Just(b','),
        Just(b'#'),
        Just(b'{'),
        Just(b'}'),
        32u8..127,
        any::<u8>(),
    ];
    let at = 0usize..4096;
    prop_oneof![
        (at.clone(), byte.clone()).prop_map(|(i, b)| Mutation::InsertByte(i, b)),
        at.clone().prop_map(Mutation::DeleteByte),
        (at.clone(), byte).prop_map(|(i, b)| Mutation::ReplaceByte(i, b)),
        at.clone().prop_map(Mutation::DropLine),
        at.clone().prop_map(Mutation::DoubleLine),
        (at.clone(), at.clone()).prop_map(|(i, j)| Mutation::SwapLines(i, j)),
        (at.clone(), 0..VALUES.len()).prop_map(|(i, v)| Mutation::ReplaceValue(i, v)),
        (at, 0..KEYS.len(), 0..VALUES.len()).prop_map(|(i, k, v)| Mutation::AddPair(i, k, v)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let n = lines.len().max(1);
    match *m {
        Mutation::InsertByte(i, b) => {
            bytes.insert(i % (bytes.len() + 1), b);
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        Mutation::DeleteByte(i) if !bytes.is_empty() => {
            bytes.remove(i % bytes.len());
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        Mutation::ReplaceByte(i, b) if !bytes.is_empty() => {
            let len = bytes.len();
            bytes[i % len] = b;
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        Mutation::DropLine(i) if !lines.is_empty() => {
            lines.remove(i % n);
        }
        Mutation::DoubleLine(i) if !lines.is_empty() => {
            let line = lines[i % n].clone();
            lines.insert(i % n, line);
        }
        Mutation::SwapLines(i, j) if !lines.is_empty() => lines.swap(i % n, j % n),
        Mutation::ReplaceValue(i, v) if !lines.is_empty() => {
            // The i-th `key = value` line (cyclically) gets a hostile value.
            let pairs: Vec<usize> = (0..lines.len())
                .filter(|&k| lines[k].contains('=') && !lines[k].trim_start().starts_with('#'))
                .collect();
            if let Some(&k) = pairs.get(i % pairs.len().max(1)) {
                let key = lines[k].split('=').next().unwrap().to_string();
                lines[k] = format!("{key}= {}", VALUES[v]);
            }
        }
        Mutation::AddPair(i, k, v) => {
            let at = i % (lines.len() + 1);
            lines.insert(at, format!("{} = {}", KEYS[k], VALUES[v]));
        }
        _ => {}
    }
    lines.join("\n")
}

/// Each table's kinds and keys.
const TABLE_KEYS: &[(&str, &[&str], &[&str])] = &[
    (
        "potential",
        &[
            "\"quadratic\"",
            "\"double-well\"",
            "\"barrier\"",
            "\"paper-2d\"",
            "\"bogus\"",
        ],
        &[
            "curvature",
            "center",
            "height",
            "half_width",
            "curvature_min",
            "curvature_top",
            "minimum",
            "scale",
            "data_size",
            "data_variance",
            "bogus",
        ],
    ),
    (
        "noise",
        &[
            "\"langevin\"",
            "\"power-law\"",
            "\"power-law-loss\"",
            "\"alpha-stable\"",
            "\"sgd\"",
        ],
        &[
            "d0",
            "d2",
            "rho",
            "k",
            "index",
            "sigma",
            "beta",
            "interpretation",
            "batch",
            "center",
        ],
    ),
    (
        "exit",
        &[
            "\"none\"",
            "\"top\"",
            "\"half-space\"",
            "\"ball\"",
            "\"box\"",
        ],
        &[
            "normal",
            "threshold",
            "radius",
            "center",
            "bridge",
            "lower",
            "upper",
        ],
    ),
    ("observe", &[], &["histogram", "fpt_file"]),
];

/// From-scratch TOML: the four tables, each with a kind and some of its keys
/// (no repeats) holding plausible or hostile values.
fn assembled() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        4 => Just("1"),
        2 => Just("0.5"),
        1 => Just("[0.5, 1.0]"),
        3 => (0..VALUES.len()).prop_map(|v| VALUES[v]),
    ];
    let table = |t: usize| {
        let (_, kinds, keys) = TABLE_KEYS[t];
        (
            0..kinds.len().max(1),
            prop::collection::btree_map(0..keys.len(), value.clone(), 0..4),
            0u8..4,
        )
    };
    let top = (value.clone(), value.clone(), value.clone(), 0u8..4);
    (top, table(0), table(1), table(2), table(3)).prop_map(|(top, a, b, c, d)| {
        let (dt, steps, n, plain) = top;
        let mut text = if plain > 0 {
            String::from("dt = 0.01\nmax_steps = 10\ntrajectories = 8\n")
        } else {
            format!("dt = {dt}\nmax_steps = {steps}\ntrajectories = {n}\n")
        };
        for (t, (kind, pairs, keep)) in [a, b, c, d].into_iter().enumerate() {
            let (name, kinds, keys) = TABLE_KEYS[t];
            if keep == 0 && t >= 2 {
                continue; // exit and observe are optional
            }
            text.push_str(&format!("[{name}]\n"));
            if !kinds.is_empty() {
                text.push_str(&format!("kind = {}\n", kinds[kind]));
            }
            for (k, v) in pairs {
                text.push_str(&format!("{} = {v}\n", keys[k]));
            }
        }
        text
    })
}

/// What an accepted experiment must also survive; true when accepted.
fn exercise(text: &str) -> bool {
    let Ok(experiment) = Experiment::from_toml(text, "fuzz") else {
        return false;
    };
    {
        let _ = experiment.warnings();
        let _ = experiment.fingerprint();
        let _ = experiment.clone().with_seed(u32::MAX as u64);
        let _ = experiment.clone().with_trajectories(3);
        let n = experiment.trajectories;
        let _ = experiment.with_range(n / 2..n);
    }
    true
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A runner with a fixed seed: the same cases on every run, so a failure reproduces.
fn runner() -> TestRunner {
    TestRunner::new_with_rng(config(), TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

#[test]
fn mutated_files_never_panic() {
    let corpus = corpus();
    let mut runner = runner();
    let strategy = (0..corpus.len(), prop::collection::vec(mutation(), 1..6));
    let accepted = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |(file, mutations)| {
            let mut text = corpus[file].clone();
            for m in &mutations {
                text = apply(&text, m);
            }
            accepted.set(accepted.get() + exercise(&text) as u32);
            Ok(())
        })
        .unwrap();
    let cases = config().cases;
    eprintln!("mutated files: {cases} cases, {} accepted", accepted.get());
    // Some mutants must pass validation, or the fuzz never reaches the validator's depths.
    assert!(
        accepted.get() * 50 > cases,
        "only {} accepted",
        accepted.get()
    );
}

#[test]
fn assembled_files_never_panic() {
    let mut runner = runner();
    let accepted = std::cell::Cell::new(0u32);
    runner
        .run(&assembled(), |text| {
            accepted.set(accepted.get() + exercise(&text) as u32);
            Ok(())
        })
        .unwrap();
    eprintln!(
        "assembled files: {} cases, {} accepted",
        config().cases,
        accepted.get()
    );
}
