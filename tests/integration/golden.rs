//! Refactors keep results: every experiment of `assets/` and `assets/bench/`,
//! run at 2048 trajectories per case on the CPU backend and on the GPU
//! (lavapipe in CI), gives the `result.json` (minus its `run` object) of the
//! build before the model redesign, kept in `assets/golden/{cpu,gpu}/`
//! (`scripts/golden.sh` wrote them and checks the full-size set). Exact
//! equality: the arithmetic and the random streams are fixed, so any change
//! is a change of results, never chance.

use crate::common;
use crate::common::repo;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `(golden name, experiment file)` of every example experiment the golden
/// build knew (experiments added since have no golden file).
fn experiments() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for (folder, prefix) in [("assets", ""), ("assets/bench", "bench-")] {
        for entry in std::fs::read_dir(repo(folder)).expect("assets folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let stem = path.file_stem().unwrap().to_string_lossy();
                let name = format!("{prefix}{stem}");
                if repo(&format!("assets/golden/cpu/{name}.json")).is_file() {
                    out.push((name, path));
                }
            }
        }
    }
    out.sort();
    assert!(out.len() >= 14, "only {} experiments", out.len());
    out
}

/// result.json without what differs between runs and machines: the `run` object
/// (wall time, command line) and `device`, the hardware ("CPU (AVX2 kernels)" on
/// one machine, "CPU (AVX-512 kernels)" on another, with the same numbers).
fn comparable(mut result: Value) -> Value {
    let object = result.as_object_mut().expect("result.json is an object");
    object.remove("run").expect("result.json has a run object");
    object
        .remove("device")
        .expect("result.json names its device");
    result
}

fn check_backend(backend: &str) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut different = Vec::new();
    for (name, file) in experiments() {
        let out = dir.path().join(&name);
        let output = Command::new(env!("CARGO_BIN_EXE_kramers"))
            .args(["run", file.to_str().unwrap(), "--backend", backend])
            .args(["--trajectories", "2048", "--checkpoint-every", "0"])
            .arg("--out")
            .arg(&out)
            .output()
            .expect("the kramers binary runs");
        assert!(
            output.status.success(),
            "{name} on {backend}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let read = |path: &Path| -> Value {
            serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
        };
        let golden = repo(&format!("assets/golden/{backend}/{name}.json"));
        let expected = read(&golden);
        let actual = comparable(read(&out.join("result.json")));
        if actual != expected {
            different.push(name);
        }
    }
    assert!(
        different.is_empty(),
        "{backend}: result.json differs from assets/golden/{backend}/ for {different:?} \
         (scripts/golden.sh check target/release/kramers shows the lines)"
    );
}

#[test]
fn cpu_results_equal_the_golden_files() {
    check_backend("cpu");
}

#[test]
fn gpu_results_equal_the_golden_files() {
    if common::gpu().is_none() {
        return;
    }
    check_backend("gpu");
}
