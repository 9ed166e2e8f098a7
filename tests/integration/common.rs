//! Shared test helpers.

use kramers::backend::gpu::Gpu;

/// The GPU (lavapipe in CI), or `None` with a notice when there is none.
/// Under `CI=true`, and under `scripts/test.sh` (which installs lavapipe and sets
/// `KRAMERS_REQUIRE_GPU=1`), a missing adapter is a failure, never a skip.
pub fn gpu() -> Option<Gpu> {
    let required = |var: &str, value: &str| std::env::var(var).is_ok_and(|v| v == value);
    match Gpu::new() {
        Ok(gpu) => Some(gpu),
        Err(e) if required("CI", "true") || required("KRAMERS_REQUIRE_GPU", "1") => {
            panic!("a GPU adapter is required here (CI=true or KRAMERS_REQUIRE_GPU=1): {e}")
        }
        Err(e) => {
            eprintln!("skipping GPU test: {e}");
            None
        }
    }
}

/// A path inside the repository.
pub fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Run the `kramers` binary with `args` and extra environment variables.
///
/// The run is isolated from the caller's shell: no backtrace setting (a panic
/// must show up as "panicked"), no Slurm or shard variables (a test picks its
/// own shard), and a writable `XDG_RUNTIME_DIR` for the Vulkan loader.
pub fn kramers(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kramers"));
    command.args(args);
    for var in [
        "RUST_BACKTRACE",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP",
        "JOB_COMPLETION_INDEX",
        "KRAMERS_SHARD_COUNT",
    ] {
        command.env_remove(var);
    }
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        command.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the kramers binary runs")
}

/// A JSON file, parsed; panics naming the file when it is missing or malformed.
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}
