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

/// [`kramers`] with no extra environment, asserting that it succeeded (the
/// panic shows its stderr); its stdout.
pub fn kramers_ok(args: &[&str]) -> String {
    let output = kramers(args, &[]);
    assert!(
        output.status.success(),
        "kramers {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Each of `names` exists in `dir` and holds more than 100 bytes.
pub fn assert_written(dir: &std::path::Path, names: &[&str]) {
    for name in names {
        let meta = std::fs::metadata(dir.join(name))
            .unwrap_or_else(|_| panic!("{name} not written in {}", dir.display()));
        assert!(meta.len() > 100, "{name} is empty");
    }
}

/// A JSON file, parsed; panics naming the file when it is missing or malformed.
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The exact mean first-passage time of `dX = -L'(X) dt + sqrt(D0) dW` from
/// `x0` up to `b`, reflected nowhere below (L must grow as x falls):
/// `T = (2/D0) int_{x0}^{b} e^{2L(y)/D0} int_{lo}^{y} e^{-2L(z)/D0} dz dy`,
/// by the trapezoid rule on `n` equal steps from `lo` (chosen where
/// `e^{-2L/D0}` is negligible). Independent of the library's quadrature (no
/// kramers code), for tests that must not check a formula against itself;
/// the rule's O(h^2) error is below 1e-8 relative at n = 400,000 for the
/// potentials here.
pub fn mfpt_by_double_integral(
    potential: impl Fn(f64) -> f64,
    d0: f64,
    x0: f64,
    b: f64,
    lo: f64,
    n: usize,
) -> f64 {
    let h = (b - lo) / n as f64;
    // a common shift keeps the exponentials in range
    let shift = potential(x0);
    let weight = |y: f64, sign: f64| (sign * 2.0 * (potential(y) - shift) / d0).exp();
    // the inner integral up to x0, on a grid that ends at x0
    let below = ((x0 - lo) / h).ceil().max(1.0) as usize;
    let h1 = (x0 - lo) / below as f64;
    let mut inner = 0.0;
    for i in 0..below {
        let (y0, y1) = (lo + i as f64 * h1, lo + (i + 1) as f64 * h1);
        inner += 0.5 * h1 * (weight(y0, -1.0) + weight(y1, -1.0));
    }
    // then both integrals from x0 to b
    let above = ((b - x0) / h).ceil().max(1.0) as usize;
    let h2 = (b - x0) / above as f64;
    let mut outer = 0.0;
    let mut previous = weight(x0, 1.0) * inner;
    for i in 0..above {
        let (y0, y1) = (x0 + i as f64 * h2, x0 + (i + 1) as f64 * h2);
        inner += 0.5 * h2 * (weight(y0, -1.0) + weight(y1, -1.0));
        let value = weight(y1, 1.0) * inner;
        outer += 0.5 * h2 * (previous + value);
        previous = value;
    }
    2.0 / d0 * outer
}
