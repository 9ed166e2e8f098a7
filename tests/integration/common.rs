//! Shared test helpers.

use kramers::backend::gpu::Gpu;

/// The GPU (lavapipe in CI), or `None` with a notice when there is none.
/// Under `CI=true` a missing adapter is a failure, never a silent skip.
pub fn gpu() -> Option<Gpu> {
    match Gpu::new() {
        Ok(gpu) => Some(gpu),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but no GPU adapter: {e}")
        }
        Err(e) => {
            eprintln!("skipping GPU test: {e}");
            None
        }
    }
}
