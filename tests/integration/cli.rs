//! The `kramers` binary as a new user runs it: the README example, its output
//! files and their reproducibility, every bad input in `tests/bad-input/`, and
//! every example experiment in `assets/`.

use crate::common::{kramers, read_json, repo};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// `kramers run FILE --backend cpu --out DIR [extra...]`, asserting success.
fn run_ok(file: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "run",
        file.to_str().expect("utf-8 path"),
        "--backend",
        "cpu",
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let output = kramers(&args, env);
    assert!(
        output.status.success(),
        "kramers {args:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// result.json without the `run` object (wall time, threads, throughput, command line),
/// the only part documented to differ from run to run.
fn deterministic_part(result: &Value) -> serde_json::Map<String, Value> {
    let mut object = result
        .as_object()
        .expect("result.json is an object")
        .clone();
    assert!(
        object.remove("run").is_some(),
        "result.json has a `run` object"
    );
    object
}

/// Top-level keys whose values differ between two results.
fn differing_keys(
    a: &serde_json::Map<String, Value>,
    b: &serde_json::Map<String, Value>,
) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .collect();
    keys.into_iter().cloned().collect()
}

const EXAMPLE: &str = "assets/power-law-barrier.toml";

/// The README example (unchanged file, fewer trajectories) twice, and with 1 and 2
/// rayon threads: result.json is identical apart from `run`, cases.csv byte for byte.
#[test]
fn example_is_reproducible_across_runs_and_thread_counts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let example = repo(EXAMPLE);
    let runs = [
        ("first", vec![]),
        ("second", vec![]),
        ("one-thread", vec![("RAYON_NUM_THREADS", "1")]),
        ("two-threads", vec![("RAYON_NUM_THREADS", "2")]),
    ];
    let mut results = Vec::new();
    let mut tables = Vec::new();
    for (name, env) in &runs {
        let out = dir.path().join(name);
        run_ok(&example, &out, &["--trajectories", "2000"], env);
        assert!(out.join("cases.csv").is_file(), "{name}: cases.csv");
        results.push(read_json(&out.join("result.json")));
        tables.push(std::fs::read(out.join("cases.csv")).expect("cases.csv"));
    }
    for (name, table) in runs.iter().map(|r| r.0).zip(&tables).skip(1) {
        assert!(*table == tables[0], "cases.csv of the {name} run differs");
    }
    let parts: Vec<_> = results.iter().map(deterministic_part).collect();
    assert_eq!(
        differing_keys(&parts[0], &parts[1]),
        Vec::<String>::new(),
        "two identical runs"
    );
    assert_eq!(
        results[2]["run"]["threads"], 1,
        "RAYON_NUM_THREADS=1 is honoured"
    );
    assert_eq!(results[3]["run"]["threads"], 2);
    // Only the `run` object (wall time, threads, command line) may differ.
    let across_threads = differing_keys(&parts[2], &parts[3]);
    assert!(
        across_threads.is_empty(),
        "1 vs 2 threads differ in {across_threads:?}"
    );
}

/// The documented fields of result.json and cases.csv, with their types and
/// internal consistency, on the README example.
#[test]
fn result_json_schema() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("nested/out");
    run_ok(&repo(EXAMPLE), &out, &["--trajectories", "500"], &[]);
    let result = read_json(&out.join("result.json"));

    assert_eq!(result["name"], "power-law escape over a barrier");
    assert_eq!(result["backend"], "cpu");
    assert!(result["device"].is_string());
    assert!(result["kramers_version"].is_string());
    assert_eq!(result["seed"], 7);
    assert_eq!(result["trajectories"], 500);
    assert_eq!(result["max_steps"], 100_000);
    assert_eq!(result["dim"], 1);
    assert!(result["potential"].is_string() && result["noise"].is_string());

    let run = &result["run"];
    assert!(run["wall_time_s"].as_f64().is_some_and(|t| t >= 0.0));
    assert!(run["threads"].as_u64().is_some_and(|t| t >= 1));
    assert!(run["trajectory_steps_per_s"].is_number());
    assert!(run["command_line"]
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v == "--trajectories")));

    let cases = result["cases"].as_array().expect("cases is a list");
    assert_eq!(cases.len(), 3, "height = [0.5, 1.0, 1.5]");
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(case["index"], i);
        let params = case["params"].as_object().expect("params is an object");
        assert_eq!(params["potential.height"], [0.5, 1.0, 1.5][i]);
        assert_eq!(params["noise.interpretation"], "ito");
        assert_eq!(params["dt"], 0.01);
        assert_eq!(case["dt"], 0.01);
        assert_eq!(case["trajectories"], 500);

        let fpt = &case["fpt"];
        let escaped = fpt["escaped"].as_u64().expect("fpt.escaped");
        let censored = fpt["censored"].as_u64().expect("fpt.censored");
        let diverged = case["diverged"].as_u64().expect("diverged");
        assert_eq!(escaped + censored + diverged, 500);
        if censored == 0 {
            let mean = fpt["mean"].as_f64().expect("fpt.mean without censoring");
            let ci = fpt["ci95"].as_array().expect("fpt.ci95");
            assert!(ci[0].as_f64().unwrap() < mean && mean < ci[1].as_f64().unwrap());
        } else {
            assert!(fpt["mean"].is_null() && fpt["ci95"].is_null());
        }
        let rate = fpt["rate"].as_f64().expect("fpt.rate");
        let rate_ci = fpt["rate_ci95"].as_array().expect("fpt.rate_ci95");
        assert!(rate_ci[0].as_f64().unwrap() <= rate && rate <= rate_ci[1].as_f64().unwrap());
        let steps_sum = fpt["steps_sum"].as_u64().expect("fpt.steps_sum");
        assert!(steps_sum >= escaped);
        let fpt_counts: u64 = fpt["histogram"]["counts"]
            .as_array()
            .expect("fpt.histogram.counts")
            .iter()
            .map(|c| c.as_u64().unwrap())
            .sum();
        assert_eq!(fpt_counts, escaped);
        assert!(fpt["histogram"]["edges"].is_array());

        let final_state = &case["final"];
        assert_eq!(final_state["mean"].as_array().map(Vec::len), Some(1));
        assert_eq!(final_state["variance"].as_array().map(Vec::len), Some(1));
        let histograms = final_state["histogram"]
            .as_array()
            .expect("final.histogram");
        assert_eq!(histograms.len(), 1, "one histogram per coordinate");
        let histogram = &histograms[0];
        let edges = histogram["edges"].as_array().expect("edges");
        let counts = histogram["counts"].as_array().expect("counts");
        assert_eq!(edges.len(), 121, "range = [-3, 3], bins = 120");
        assert_eq!(counts.len(), 120);
        assert_eq!(edges[0], -3.0);
        assert_eq!(edges[120], 3.0);
        let binned: u64 = counts.iter().map(|c| c.as_u64().unwrap()).sum::<u64>()
            + histogram["below"].as_u64().expect("below")
            + histogram["above"].as_u64().expect("above");
        assert_eq!(
            binned,
            escaped + censored,
            "every finite final state binned"
        );
    }

    let table = std::fs::read_to_string(out.join("cases.csv")).expect("cases.csv");
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    for column in [
        "case",
        "potential.height",
        "noise.interpretation",
        "escaped",
        "censored",
        "mfpt",
        "rate",
        "steps_sum",
        "final_mean_0",
        "final_variance_0",
    ] {
        assert!(header.contains(&column), "cases.csv has no column {column}");
    }
    assert_eq!(lines.count(), 3, "one row per case");
}

/// Whether a stderr line is part of a quoted source snippet (`  |`, `3 | dt =`),
/// which echoes the file rather than naming anything.
fn is_snippet(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('|')
        || t.split_once(" |")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Bad inputs whose message does not name the field yet (only the quoted source
/// line shows it): serde/toml type and variant errors. Reported; remove a file
/// from this list once its message names the field (the test then insists).
const NOT_YET_NAMED: &[&str] = &["53-sweep-of-strings.toml"];

/// Every file in tests/bad-input/ (first line `# expect: <text>`) is refused with
/// exit code 2, a message naming `<text>` (outside the quoted source and the file
/// name), no panic, and nothing written.
#[test]
fn bad_inputs_are_refused_naming_the_field() {
    let folder = repo("tests/bad-input");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("tests/bad-input")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "only {} bad inputs", files.len());
    for known in NOT_YET_NAMED {
        assert!(
            folder.join(known).is_file(),
            "{known} is listed but missing"
        );
    }

    let dir = tempfile::tempdir().expect("temporary directory");
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).expect("readable");
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name}: first line must be `# expect: <field>`"))
            .trim()
            .to_string();
        let out = dir.path().join(&name);
        let path = file.to_str().expect("utf-8 path");
        let output = kramers(
            &[
                "run",
                path,
                "--backend",
                "cpu",
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        );
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let message: String = stderr
            .replace(path, "<file>")
            .lines()
            .filter(|l| !is_snippet(l))
            .collect::<Vec<_>>()
            .join("\n");
        let mut problems = Vec::new();
        if output.status.code() != Some(2) {
            problems.push(format!("exit code {:?}, expected 2", output.status.code()));
        }
        if stderr.contains("panicked") {
            problems.push("panicked".to_string());
        }
        if out.exists() {
            problems.push("wrote the output directory".to_string());
        }
        let named = message.contains(&expected);
        let known = NOT_YET_NAMED.contains(&name.as_str());
        if !named && !known {
            problems.push(format!("message does not name `{expected}`"));
        }
        if named && known {
            problems.push(format!(
                "now names `{expected}`: remove it from NOT_YET_NAMED"
            ));
        }
        if !problems.is_empty() {
            failures.push(format!("{name}: {}\n{stderr}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `--seed` and `--trajectories` are validated like the file's fields.
#[test]
fn command_line_overrides_are_validated() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let example = repo(EXAMPLE);
    for (flag, value, field) in [
        ("--trajectories", "0", "trajectories"),
        ("--seed", "4294967296", "seed"),
    ] {
        let out = dir.path().join(flag.trim_start_matches('-'));
        let output = kramers(
            &[
                "run",
                example.to_str().unwrap(),
                "--backend",
                "cpu",
                "--out",
                out.to_str().unwrap(),
                flag,
                value,
            ],
            &[],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(
            stderr.contains(field) && stderr.contains(value),
            "{flag} {value}: {stderr}"
        );
        assert!(!out.exists(), "{flag} {value} wrote output");
    }
}

/// Values above i64::MAX wrap when the CLI converts them for validation, so the
/// message quotes a different number than the user gave.
#[test]
fn command_line_override_message_quotes_the_given_value() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("out");
    let output = kramers(
        &[
            "run",
            repo(EXAMPLE).to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
            "--trajectories",
            "18446744073709551615",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("18446744073709551615"), "{stderr}");
}

/// Every example experiment in assets/ (not assets/bench/) runs with 64
/// trajectories per case, writes its files, and no trajectory diverges.
#[test]
fn every_asset_runs() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("assets"))
        .expect("assets/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "only {} assets", files.len());
    let dir = tempfile::tempdir().expect("temporary directory");
    // Two at a time: while one run is in a single-threaded stretch (an exact
    // solve's factorization, the plots), the other uses the second core.
    let (even, odd): (Vec<_>, Vec<_>) = files.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    std::thread::scope(|scope| {
        for half in [even, odd] {
            let dir = dir.path();
            scope.spawn(move || {
                for (_, file) in half {
                    run_asset(file, dir);
                }
            });
        }
    });
}

/// One asset of [`every_asset_runs`], at 64 trajectories, into `dir/NAME`.
fn run_asset(file: &Path, dir: &Path) {
    let name = file.file_stem().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(file).expect("readable");
    assert!(
        text.starts_with('#'),
        "{name}: an asset starts with a comment explaining it"
    );
    let out = dir.join(&name);
    run_ok(file, &out, &["--trajectories", "64"], &[]);
    let result = read_json(&out.join("result.json"));
    assert!(out.join("cases.csv").is_file(), "{name}: cases.csv");
    let cases = result["cases"].as_array().expect("cases");
    assert!(!cases.is_empty(), "{name}: no cases");
    for case in cases {
        if result["method"] == "ams" {
            // splitting (`[rare]`): an estimate instead of trajectories
            let rare = &case["rare"];
            assert!(rare["mfpt"].as_f64().is_some(), "{name}: {rare}");
            assert_eq!(rare["diverged"], 0, "{name}: case {}", case["index"]);
            continue;
        }
        assert_eq!(case["trajectories"], 64, "{name}");
        assert_eq!(case["diverged"], 0, "{name}: case {}", case["index"]);
    }
    if text.contains("fpt_file = \"npy\"") {
        check_first_passage_file(&out.join("first_passage.npy"), &result);
    }
}

/// first_passage.npy: `<u4`, shape (cases, trajectories), 0 = censored,
/// u32::MAX = diverged, else the first-passage step; it agrees with result.json.
fn check_first_passage_file(path: &Path, result: &Value) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).expect("ascii header");
    let cases = result["cases"].as_array().expect("cases");
    let n = result["trajectories"].as_u64().expect("trajectories") as usize;
    assert!(header.contains("'descr': '<u4'"), "{header}");
    assert!(
        header.contains(&format!("'shape': ({}, {n})", cases.len())),
        "{header}"
    );
    let data: Vec<u32> = bytes[10 + header_len..]
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(data.len(), cases.len() * n);
    let max_steps = result["max_steps"].as_u64().expect("max_steps") as u32;
    for (case, steps) in cases.iter().zip(data.chunks(n)) {
        let escaped: Vec<u64> = steps
            .iter()
            .filter(|&&s| s != 0 && s != u32::MAX)
            .map(|&s| s as u64)
            .collect();
        assert!(escaped.iter().all(|&s| s <= max_steps as u64));
        assert_eq!(escaped.len() as u64, case["fpt"]["escaped"]);
        assert_eq!(escaped.iter().sum::<u64>(), case["fpt"]["steps_sum"]);
        let censored = steps.iter().filter(|&&s| s == 0).count() as u64;
        assert_eq!(censored, case["fpt"]["censored"]);
        let diverged = steps.iter().filter(|&&s| s == u32::MAX).count() as u64;
        assert_eq!(diverged, case["diverged"]);
    }
}
