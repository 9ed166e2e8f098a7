//! `kramers._native`: the library's one run path (`kramers::run`), theory,
//! devices and escape sweep for Python. A thin layer: it takes the experiment
//! as TOML text, returns what the CLI writes (result.json and cases.csv text,
//! the first passages as bytes) and maps errors onto Python's exceptions; the
//! Python package (`python/src/kramers/`) turns them into dicts and numpy arrays.
//!
//! A run holds no GIL: it runs on a thread of its own while the calling thread
//! waits with the GIL released, waking every 50 ms to let Python deliver
//! signals; a KeyboardInterrupt sets the run's cancel flag, which the CPU
//! kernels look at every millisecond or so and a GPU after each dispatch.

use kramers::backend::engine::Engine;
use kramers::backend::BackendChoice;
use kramers::report::fpt_file;
use kramers::report::ExperimentSource;
use kramers::run::{Outcome, Overrides, RunOptions};
use kramers::spec::{Experiment, FptFormat};
use kramers::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

create_exception!(
    _native,
    KramersError,
    PyRuntimeError,
    "A kramers run failed for a reason other than its input."
);
create_exception!(
    _native,
    ExperimentError,
    PyValueError,
    "The experiment (or an argument) is invalid: the message names the field, the value and what is allowed."
);
create_exception!(
    _native,
    GpuError,
    KramersError,
    "No usable GPU adapter, or the GPU backend failed."
);

fn to_py(error: Error) -> PyErr {
    match &error {
        Error::Cancelled => PyKeyboardInterrupt::new_err("kramers run interrupted"),
        Error::Gpu(_) => GpuError::new_err(error.to_string()),
        _ if error.is_bad_input() => ExperimentError::new_err(error.to_string()),
        _ => KramersError::new_err(error.to_string()),
    }
}

fn choice(backend: &str) -> PyResult<BackendChoice> {
    match backend {
        "auto" => Ok(BackendChoice::Auto),
        "cpu" => Ok(BackendChoice::Cpu),
        "gpu" => Ok(BackendChoice::Gpu),
        other => Err(ExperimentError::new_err(format!(
            "invalid value for `backend`: {other:?} (\"auto\", \"cpu\" or \"gpu\")"
        ))),
    }
}

/// Run `work` on a thread of its own with the GIL released, checking for
/// signals every 50 ms; on a KeyboardInterrupt (or any exception a signal
/// handler raises) set `cancel` and wait for `work` to stop.
fn interruptible<T: Send>(
    py: Python<'_>,
    cancel: &AtomicBool,
    work: impl FnOnce() -> kramers::Result<T> + Send,
) -> PyResult<T> {
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        scope.spawn(move || {
            let _ = sender.send(work());
        });
        let mut receiver = receiver;
        loop {
            // (the receiver is Send but not Sync: it goes in and comes back)
            let (back, received) = py.detach(move || {
                let received = receiver.recv_timeout(Duration::from_millis(50));
                (receiver, received)
            });
            receiver = back;
            match received {
                Ok(result) => return result.map_err(to_py),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(interrupt) = py.check_signals() {
                        cancel.store(true, Ordering::Relaxed);
                        // the run stops at its next block
                        let _ = py.detach(move || receiver.recv());
                        return Err(interrupt);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(KramersError::new_err(
                        "the run's thread ended without a result",
                    ))
                }
            }
        }
    })
}

/// Run the experiment `text` (from `origin`, recorded in result.json) as
/// `kramers run` does. Returns (result.json text, cases.csv text, notices,
/// first passages: None or (bytes of little-endian u32, cases, trajectories)).
#[pyfunction]
#[pyo3(signature = (text, origin, backend = "auto", trajectories = None, seed = None, first_passage = false, extrapolate = false))]
// (one argument per Python keyword argument, as the signature above names them)
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn run<'py>(
    py: Python<'py>,
    text: &str,
    origin: &str,
    backend: &str,
    trajectories: Option<u64>,
    seed: Option<u64>,
    first_passage: bool,
    extrapolate: bool,
) -> PyResult<(
    String,
    String,
    Vec<String>,
    Option<(Bound<'py, PyBytes>, usize, usize)>,
)> {
    let choice = choice(backend)?;
    let source = ExperimentSource {
        path: origin.to_string(),
        text: text.to_string(),
    };
    let overrides = Overrides {
        seed,
        trajectories,
        first_passage: first_passage.then_some(FptFormat::Npy),
        extrapolate,
        ..Overrides::default()
    };
    let prepared = kramers::run::prepare(source, &overrides).map_err(to_py)?;
    let mut notices: Vec<String> = prepared.experiment.warnings();
    let cancel = AtomicBool::new(false);
    let (outcome, said) = interruptible(py, &cancel, || {
        let mut said = Vec::new();
        let engine = Engine::open(choice, None, &mut |n| said.push(n.to_string()))?;
        let outcome = kramers::run::run(
            &prepared,
            &engine,
            RunOptions {
                command_line: vec!["kramers.run (Python)".to_string()],
                cancel: Some(&cancel),
                ..RunOptions::default()
            },
        )?;
        Ok((outcome, said))
    })?;
    notices.extend(said);
    let experiment = &prepared.experiment;
    let (cases, trajectories) = (experiment.cases.len(), experiment.range.len());
    // rare-event splitting has result.json and cases.csv of its own, no first passages
    let fpt = match &outcome {
        Outcome::Direct(run) => run.output.first_passage.as_ref().map(|values| {
            // the bytes of first_passage.u32 (raw little-endian, case after case)
            let bytes = fpt_file::encode(FptFormat::RawU32, cases, trajectories as u64, values);
            (PyBytes::new(py, &bytes), cases, trajectories)
        }),
        Outcome::Split(_) => None,
    };
    let result = outcome.result();
    Ok((result.to_json(), result.to_csv(), notices, fpt))
}

/// The theory of every case (`kramers theory --json`), as JSON text.
#[pyfunction]
fn theory(text: &str, origin: &str) -> PyResult<String> {
    let experiment = Experiment::from_toml(text, origin).map_err(to_py)?;
    let rows = kramers::analysis::references::theory_rows(&experiment);
    Ok(serde_json::to_string(&rows).expect("serializable"))
}

/// The landscape of every case of a 2-D experiment (`kramers landscape --json`), as JSON text.
#[pyfunction]
fn landscape(text: &str, origin: &str) -> PyResult<String> {
    let experiment = Experiment::from_toml(text, origin).map_err(to_py)?;
    if experiment.shape.dim != 2 {
        return Err(to_py(kramers::error::Error::invalid(
            "dim",
            experiment.shape.dim,
            "2: the landscape search covers the plane",
        )));
    }
    let rows = kramers::analysis::landscape::landscape_rows(&experiment);
    Ok(serde_json::to_string(&rows).expect("serializable"))
}

/// The GPU adapters (`kramers devices --json`), as JSON text.
#[pyfunction]
fn devices(py: Python<'_>) -> String {
    let adapters = py.detach(kramers::backend::gpu::adapters);
    serde_json::to_string(&adapters).expect("serializable")
}

/// The built-in escape sweep (`kramers escape [--quick]`): escape.json's text.
#[pyfunction]
#[pyo3(signature = (quick = false, backend = "auto"))]
fn escape(py: Python<'_>, quick: bool, backend: &str) -> PyResult<String> {
    use kramers::studies::{escape, Study};
    let choice = choice(backend)?;
    let cancel = AtomicBool::new(false);
    interruptible(py, &cancel, || {
        let dynamics = escape::default_sweep(quick);
        let study = escape::study(&dynamics, choice, &|_| {}, &mut |_| {}, Some(&cancel))?;
        Ok(study.json())
    })
}

/// The built-in turnover sweep (`kramers turnover [--quick]`): turnover.json's text.
#[pyfunction]
#[pyo3(signature = (quick, backend))]
fn turnover(py: Python<'_>, quick: bool, backend: &str) -> PyResult<String> {
    use kramers::studies::{turnover, Study};
    let choice = choice(backend)?;
    let cancel = AtomicBool::new(false);
    interruptible(py, &cancel, || {
        let experiment = turnover::default_experiment(quick);
        let study = turnover::study(&experiment, choice, &|_| {}, &mut |_| {}, Some(&cancel))?;
        Ok(study.json())
    })
}

/// A JSON object (a Python dict as `json.dumps` writes it) as TOML text.
#[pyfunction]
fn toml_from_json(json: &str) -> PyResult<String> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| ExperimentError::new_err(format!("the experiment dict: {e}")))?;
    if !value.is_object() {
        return Err(ExperimentError::new_err(
            "the experiment: a dict of the experiment file's fields",
        ));
    }
    toml::to_string(&value).map_err(|e| {
        ExperimentError::new_err(format!(
            "the experiment dict cannot be written as TOML ({e}): use numbers, strings, booleans, lists and dicts, no None"
        ))
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("KramersError", m.py().get_type::<KramersError>())?;
    m.add("ExperimentError", m.py().get_type::<ExperimentError>())?;
    m.add("GpuError", m.py().get_type::<GpuError>())?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(theory, m)?)?;
    m.add_function(wrap_pyfunction!(landscape, m)?)?;
    m.add_function(wrap_pyfunction!(devices, m)?)?;
    m.add_function(wrap_pyfunction!(escape, m)?)?;
    m.add_function(wrap_pyfunction!(turnover, m)?)?;
    m.add_function(wrap_pyfunction!(toml_from_json, m)?)?;
    Ok(())
}
