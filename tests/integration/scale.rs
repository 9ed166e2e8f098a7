//! Scale and robustness through the `kramers` binary: shards run as separate
//! processes and merged give the unsharded result (CPU, and GPU when present),
//! scheduler environment variables pick the shard, merge refuses mismatched
//! files, several devices give the one-device result, a run killed with
//! SIGKILL resumes to the uninterrupted result, a blown-up case is counted and
//! left out, and bad flags exit 2 naming the flag.

use crate::common;
use crate::common::{kramers, read_json};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn ok(output: Output, what: &str) -> Output {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// result.json as text, without its `run` object (the only part that may differ).
fn without_run(path: &Path) -> String {
    let mut value = read_json(path);
    value
        .as_object_mut()
        .expect("object")
        .remove("run")
        .expect("a run object");
    serde_json::to_string_pretty(&value).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Three cases, an exit, odd trajectory counts (shards not multiples of any unit).
const SHARDED: &str = r#"
name = "shards"
seed = 11
dt = 0.01
max_steps = 3000
trajectories = 10001
[potential]
kind = "barrier"
curvature_min = 1.0
curvature_top = 2.0
height = [0.25, 0.5, 1.0]
[noise]
kind = "power-law"
d0 = 0.5
d2 = 0.25
[exit]
kind = "top"
[observe]
histogram = { range = [-3.0, 3.0], bins = 60 }
"#;

/// `kramers run FILE --backend B --out DIR extra...`.
fn run(file: &Path, backend: &str, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--backend",
        backend,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    kramers(&args, env)
}

/// Four shards as four processes, merged: result.json equal to the unsharded
/// run's apart from `run`, cases.csv byte for byte.
fn shards_merge_to_unsharded(backend: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.toml", SHARDED);
    let full = dir.path().join("full");
    ok(run(&file, backend, &full, &[], &[]), "unsharded run");
    let mut shard_files = Vec::new();
    for k in 0..4 {
        let out = dir.path().join(format!("shard{k}"));
        let shard = format!("{k}/4");
        ok(run(&file, backend, &out, &["--shard", &shard], &[]), &shard);
        let result = read_json(&out.join("result.json"));
        assert_eq!(result["run"]["shard"]["index"], k);
        assert_eq!(result["run"]["shard"]["count"], 4);
        shard_files.push(out.join("result.json"));
    }
    shard_files.reverse(); // any order
    let merged = dir.path().join("merged/result.json");
    let csv = dir.path().join("merged/cases.csv");
    let mut args = vec!["merge"];
    args.extend(shard_files.iter().map(|p| p.to_str().unwrap()));
    args.extend([
        "-o",
        merged.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    ok(kramers(&args, &[]), "merge");
    assert_eq!(
        without_run(&merged),
        without_run(&full.join("result.json")),
        "{backend}: merged shards differ from the unsharded run"
    );
    assert_eq!(
        std::fs::read(&csv).unwrap(),
        std::fs::read(full.join("cases.csv")).unwrap(),
        "{backend}: cases.csv"
    );
    let run_object = &read_json(&merged)["run"];
    assert_eq!(
        run_object["trajectory_range"],
        serde_json::json!([0, 10001])
    );
    assert_eq!(run_object["merged_from"].as_array().map(Vec::len), Some(4));
}

#[test]
fn cpu_shards_merge_to_the_unsharded_result() {
    shards_merge_to_unsharded("cpu");
}

#[test]
fn gpu_shards_merge_to_the_unsharded_result() {
    if common::gpu().is_none() {
        return;
    }
    shards_merge_to_unsharded("gpu");
}

/// SHARDED recording every trajectory's first passage in `format`.
fn with_fpt_file(format: &str) -> String {
    SHARDED.replace(
        "[observe]\n",
        &format!("[observe]\nfpt_file = \"{format}\"\n"),
    )
}

/// `kramers merge DIR.. -o DIR`: shard directories (three uneven slices,
/// given out of order) merge into a directory like the unsharded run's:
/// result.json equal apart from `run`, cases.csv and the concatenated
/// first-passage file byte for byte, the plots drawn.
#[test]
fn shard_directories_merge_into_a_directory_with_the_first_passages() {
    for (format, name) in [("npy", "first_passage.npy"), ("u32", "first_passage.u32")] {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "e.toml", &with_fpt_file(format));
        let full = dir.path().join("full");
        ok(run(&file, "cpu", &full, &[], &[]), "unsharded run");
        let mut shards = Vec::new();
        for k in 0..3 {
            let out = dir.path().join(format!("shard-{k}"));
            ok(
                run(&file, "cpu", &out, &["--shard", &format!("{k}/3")], &[]),
                "shard",
            );
            shards.push(out.to_str().unwrap().to_string());
        }
        shards.rotate_left(1); // any order
        let merged = dir.path().join("merged");
        let mut args = vec!["merge"];
        args.extend(shards.iter().map(String::as_str));
        args.extend(["-o", merged.to_str().unwrap()]);
        ok(kramers(&args, &[]), "merge");
        assert_eq!(
            without_run(&merged.join("result.json")),
            without_run(&full.join("result.json")),
            "{format}"
        );
        for same in ["cases.csv", name] {
            assert!(
                std::fs::read(merged.join(same)).unwrap()
                    == std::fs::read(full.join(same)).unwrap(),
                "{format}: merged {same} differs from the unsharded run's"
            );
        }
        // the record of the concatenated file is the unsharded run's
        assert_eq!(
            read_json(&merged.join("result.json"))["run"]["first_passage"],
            read_json(&full.join("result.json"))["run"]["first_passage"]
        );
        assert!(merged.join("survival.png").is_file(), "plots drawn");
    }
}

/// A shard whose first-passage file is missing, truncated or another
/// shard's (same size, other trajectories): exit 2 naming the file, nothing written.
#[test]
fn merges_of_missing_truncated_or_foreign_first_passage_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.toml", &with_fpt_file("npy"));
    let shard = |k: u32, tag: &str| {
        let out = dir.path().join(format!("{tag}-{k}"));
        ok(
            run(
                &file,
                "cpu",
                &out,
                &["--trajectories", "100", "--shard", &format!("{k}/2")],
                &[],
            ),
            "shard",
        );
        out
    };
    let merge_into = |shards: [&Path; 2], out: &Path| {
        let mut args = vec!["merge"];
        args.extend(shards.iter().map(|p| p.to_str().unwrap()));
        args.extend(["-o", out.to_str().unwrap()]);
        kramers(&args, &[])
    };
    let fpt = |d: &Path| d.join("first_passage.npy");
    let (missing, truncated, foreign) = (
        shard(1, "missing"),
        shard(0, "truncated"),
        shard(1, "foreign"),
    );
    std::fs::remove_file(fpt(&missing)).unwrap();
    let bytes = std::fs::read(fpt(&truncated)).unwrap();
    std::fs::write(fpt(&truncated), &bytes[..bytes.len() - 40]).unwrap();
    // shard 0's 50 trajectories in place of shard 1's: same shape, other values
    let zero = shard(0, "zero");
    std::fs::copy(fpt(&zero), fpt(&foreign)).unwrap();
    for (shards, named, why) in [
        (
            [zero.as_path(), missing.as_path()],
            fpt(&missing),
            "missing",
        ),
        (
            [truncated.as_path(), foreign.as_path()],
            fpt(&truncated),
            "truncated",
        ),
        (
            [zero.as_path(), foreign.as_path()],
            fpt(&foreign),
            "another run's",
        ),
    ] {
        let out = dir.path().join("merged");
        let output = merge_into(shards, &out);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{why}: {stderr}");
        let named = named.display().to_string();
        assert!(
            stderr.contains(&named) && stderr.contains(why),
            "{why}: {stderr}"
        );
        assert!(
            !out.exists(),
            "{why}: a refused merge wrote {}",
            out.display()
        );
    }
    // --csv goes with a .json output only
    let out = dir.path().join("merged");
    let csv = dir.path().join("c.csv");
    let output = kramers(
        &[
            "merge",
            zero.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--csv"));
    assert!(!out.exists() && !csv.exists());
    // a .json output merges the tallies and says the files stay per shard
    let good = shard(1, "good");
    let json = dir.path().join("merged.json");
    let output = ok(
        merge_into([good.as_path(), zero.as_path()], &json),
        "merge to .json",
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("-o DIR"));
    assert!(json.is_file() && !dir.path().join("first_passage.npy").exists());
}

/// Slurm (task ids from SLURM_ARRAY_TASK_MIN) and Kubernetes Indexed Job
/// variables pick the same slice as --shard.
#[test]
fn scheduler_environment_picks_the_shard() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.toml", SHARDED);
    let flag = dir.path().join("flag");
    ok(
        run(
            &file,
            "cpu",
            &flag,
            &["--shard", "2/3", "--trajectories", "999"],
            &[],
        ),
        "--shard",
    );
    let slurm = dir.path().join("slurm");
    ok(
        run(
            &file,
            "cpu",
            &slurm,
            &["--trajectories", "999"],
            &[
                ("SLURM_ARRAY_TASK_ID", "7"),
                ("SLURM_ARRAY_TASK_MIN", "5"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ],
        ),
        "slurm",
    );
    let k8s = dir.path().join("k8s");
    ok(
        run(
            &file,
            "cpu",
            &k8s,
            &["--trajectories", "999"],
            &[("JOB_COMPLETION_INDEX", "2"), ("KRAMERS_SHARD_COUNT", "3")],
        ),
        "k8s",
    );
    let expected = without_run(&flag.join("result.json"));
    for (name, out, source) in [
        ("slurm", &slurm, "SLURM_ARRAY_TASK_ID"),
        ("k8s", &k8s, "JOB_COMPLETION_INDEX"),
    ] {
        assert_eq!(without_run(&out.join("result.json")), expected, "{name}");
        let result = read_json(&out.join("result.json"));
        assert_eq!(result["run"]["shard"]["source"], source);
        assert_eq!(
            result["run"]["trajectory_range"],
            serde_json::json!([666, 999])
        );
    }
}

/// `assets/k8s-indexed-job.yaml` against the Indexed Job fields it relies on
/// (batch/v1 JobSpec: completionMode Indexed, completions, parallelism,
/// backoffLimitPerIndex with restartPolicy Never, mounts backed by volumes,
/// KRAMERS_SHARD_COUNT equal to completions), then its container script run
/// as written, once per JOB_COMPLETION_INDEX, on local paths: the shards merge
/// to the unsharded result.
#[test]
fn k8s_indexed_job_manifest_is_an_indexed_job_and_its_shards_merge() {
    use yaml_rust2::{Yaml, YamlLoader};
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/k8s-indexed-job.yaml"
    ))
    .unwrap();
    let docs = YamlLoader::load_from_str(&text).expect("valid YAML");
    assert_eq!(docs.len(), 1, "one document");
    let job = &docs[0];
    let field = |node: &Yaml, path: &str| -> Yaml {
        let mut node = node.clone();
        for key in path.split('.') {
            node = match key.parse::<usize>() {
                Ok(i) => node[i].clone(),
                Err(_) => node[key].clone(),
            };
            assert!(!node.is_badvalue(), "{path}: no field {key}");
        }
        node
    };
    let string = |node: &Yaml, path: &str| {
        field(node, path)
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| panic!("{path}: not a string"))
    };
    let int = |node: &Yaml, path: &str| {
        field(node, path)
            .as_i64()
            .unwrap_or_else(|| panic!("{path}: not an integer"))
    };
    assert_eq!(string(job, "apiVersion"), "batch/v1");
    assert_eq!(string(job, "kind"), "Job");
    assert!(!string(job, "metadata.name").is_empty());
    assert_eq!(string(job, "spec.completionMode"), "Indexed");
    let completions = int(job, "spec.completions");
    let parallelism = int(job, "spec.parallelism");
    assert!(completions >= 1 && (1..=completions).contains(&parallelism));
    // backoffLimitPerIndex: Indexed Jobs only, and pods must not restart in place
    assert!(int(job, "spec.backoffLimitPerIndex") >= 0);
    let pod = field(job, "spec.template.spec");
    assert_eq!(string(&pod, "restartPolicy"), "Never");
    let containers = field(&pod, "containers");
    let containers = containers.as_vec().expect("containers: a list");
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    let env = field(container, "env");
    let count = env
        .as_vec()
        .expect("env: a list")
        .iter()
        .find(|e| e["name"].as_str() == Some("KRAMERS_SHARD_COUNT"))
        .expect("KRAMERS_SHARD_COUNT is set (Kubernetes has no count variable)");
    assert_eq!(
        count["value"].as_str().expect("env values are strings"),
        completions.to_string(),
        "KRAMERS_SHARD_COUNT must equal spec.completions"
    );
    let volumes: Vec<String> = field(&pod, "volumes")
        .as_vec()
        .expect("volumes: a list")
        .iter()
        .map(|v| string(v, "name"))
        .collect();
    let mut mounts = std::collections::HashMap::new();
    for mount in field(container, "volumeMounts")
        .as_vec()
        .expect("volumeMounts: a list")
    {
        let name = string(mount, "name");
        assert!(volumes.contains(&name), "volumeMount {name} has no volume");
        mounts.insert(name, string(mount, "mountPath"));
    }
    assert_eq!(string(container, "command.0"), "/bin/sh");
    let script = string(container, "args.0");
    assert!(
        script.contains("$JOB_COMPLETION_INDEX"),
        "the pod picks its shard directory by index"
    );

    // The script as written, on local directories, once per index.
    let dir = tempfile::tempdir().unwrap();
    let experiment_dir = dir.path().join("experiment");
    let runs = dir.path().join("runs");
    std::fs::create_dir_all(&experiment_dir).unwrap();
    std::fs::create_dir_all(&runs).unwrap();
    let experiment = write(
        &experiment_dir,
        "experiment.toml",
        &SHARDED.replace("trajectories = 10001", "trajectories = 1001"),
    );
    // each mount path as a directory (`/experiment/`, `/runs/`)
    let local = script
        .replace(
            &format!("{}/", mounts["experiment"]),
            &format!("{}/", experiment_dir.display()),
        )
        .replace(
            &format!("{}/", mounts["runs"]),
            &format!("{}/", runs.display()),
        );
    let bin = Path::new(env!("CARGO_BIN_EXE_kramers"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for index in 0..completions {
        let output = Command::new("/bin/sh")
            .args(["-c", &local])
            .env("PATH", &path)
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .env("KRAMERS_SHARD_COUNT", completions.to_string())
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("SLURM_ARRAY_TASK_COUNT")
            .output()
            .unwrap();
        ok(output, &format!("pod {index}"));
    }
    let full = dir.path().join("full");
    ok(run(&experiment, "auto", &full, &[], &[]), "unsharded run");
    let merged = dir.path().join("merged");
    let mut args = vec!["merge".to_string()];
    args.extend((0..completions).map(|k| runs.join(format!("shard-{k}")).display().to_string()));
    args.extend(["-o".to_string(), merged.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(kramers(&args, &[]), "merge");
    assert_eq!(
        without_run(&merged.join("result.json")),
        without_run(&full.join("result.json"))
    );
}

/// Bad flags and mismatched merges: exit 2, the flag or the problem named, nothing written.
#[test]
fn bad_flags_and_merges_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.toml", SHARDED);
    let small = ["--trajectories", "100"];
    // (extra arguments, environment, what the error must name)
    type BadCase<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<BadCase> = vec![
        (vec!["--shard", "4/4"], vec![], "--shard"),
        (vec!["--shard", "1"], vec![], "--shard"),
        (vec!["--shard", "0/0"], vec![], "--shard"),
        (vec!["--shard=-1/4"], vec![], "--shard"),
        (vec!["--shard", "0/101"], vec![], "--shard"),
        (vec!["--devices", "first"], vec![], "--devices"),
        (vec!["--devices", "0"], vec![], "--devices"), // with --backend cpu
        (vec!["--checkpoint-every=-1"], vec![], "--checkpoint-every"),
        (
            vec!["--checkpoint-every", "NaN"],
            vec![],
            "--checkpoint-every",
        ),
        (vec!["--resume", "no-such-dir"], vec![], "--resume"),
        (
            vec![],
            vec![
                ("SLURM_ARRAY_TASK_ID", "x"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "SLURM_ARRAY_TASK_ID",
        ),
        (
            vec![],
            vec![
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "SLURM_ARRAY_TASK_ID",
        ),
        (
            vec![],
            vec![("JOB_COMPLETION_INDEX", "1")],
            "KRAMERS_SHARD_COUNT",
        ),
    ];
    for (i, (flags, env, named)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("bad{i}"));
        let mut extra = small.to_vec();
        extra.extend(flags);
        let output = run(&file, "cpu", &out, &extra, env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?} {env:?}: {stderr}");
        assert!(stderr.contains(named), "{flags:?} {env:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists(), "{flags:?} {env:?} wrote output");
    }

    // Shards of two seeds, a shard twice, a missing shard, not a result.
    let shard = |k: u32, n: u32, seed: &str| {
        let out = dir.path().join(format!("s{k}-{n}-{seed}"));
        let spec = format!("{k}/{n}");
        ok(
            run(
                &file,
                "cpu",
                &out,
                &["--trajectories", "100", "--shard", &spec, "--seed", seed],
                &[],
            ),
            "shard",
        );
        out.join("result.json").to_str().unwrap().to_string()
    };
    let (a0, a1, a2) = (shard(0, 3, "1"), shard(1, 3, "1"), shard(2, 3, "1"));
    let b1 = shard(1, 3, "2");
    let h1 = shard(1, 2, "1");
    let junk = write(dir.path(), "junk.json", "{\"name\": 1}");
    let junk = junk.to_str().unwrap().to_string();
    for (files, named) in [
        (vec![&a0, &b1, &a2], "seed"),
        (vec![&a0, &a1, &a1, &a2], "overlaps"),
        (vec![&a0, &a1, &h1], "overlaps"),
        (vec![&a0, &a2], "gap"),
        (vec![&a0, &a1], "gap"),
        (vec![&a0, &junk], "not a kramers result.json"),
    ] {
        let merged = dir.path().join("merged.json");
        let mut args = vec!["merge"];
        args.extend(files.iter().map(|s| s.as_str()));
        args.extend(["-o", merged.to_str().unwrap()]);
        let output = kramers(&args, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{files:?}: {stderr}");
        assert!(stderr.contains(named), "{files:?}: {stderr}");
        assert!(!merged.exists(), "a refused merge wrote its output");
    }
    // The complete set merges.
    let merged = dir.path().join("merged.json");
    ok(
        kramers(
            &["merge", &a2, &a0, &a1, "-o", merged.to_str().unwrap()],
            &[],
        ),
        "merge",
    );
}

/// `--devices 0,0` (the one adapter opened twice, each device half the
/// trajectories) gives the one-device result.
#[test]
fn two_devices_give_the_one_device_result() {
    if common::gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.toml", SHARDED);
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    ok(
        run(&file, "gpu", &one, &["--trajectories", "3001"], &[]),
        "one device",
    );
    ok(
        run(
            &file,
            "gpu",
            &two,
            &["--trajectories", "3001", "--devices", "0,0"],
            &[],
        ),
        "two devices",
    );
    assert_eq!(
        without_run(&two.join("result.json")),
        without_run(&one.join("result.json"))
    );
}

/// A run killed with SIGKILL after its first checkpoint, resumed, equals an
/// uninterrupted run (per-trajectory output included); the checkpoint is gone after.
#[test]
fn killed_run_resumes_to_the_uninterrupted_result() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "long.toml",
        r#"
name = "long"
seed = 3
dt = 0.01
max_steps = 20000
trajectories = 600000
[potential]
kind = "quadratic"
curvature = 1.0
[noise]
kind = "langevin"
d0 = 1.0
[exit]
kind = "half-space"
normal = [1.0]
threshold = 2.0
[observe]
fpt_file = "u32"
"#,
    );
    let whole = dir.path().join("whole");
    ok(
        run(&file, "cpu", &whole, &["--checkpoint-every", "0"], &[]),
        "uninterrupted",
    );
    assert!(!whole.join("checkpoint.json").exists());

    let out = dir.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kramers"))
        .args([
            "run",
            file.to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
            "--checkpoint-every",
            "0.5",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let checkpoint = out.join("checkpoint.json");
    while !checkpoint.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its first checkpoint: make it longer"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no checkpoint"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !out.join("result.json").exists(),
        "the run finished before it was killed: make it longer"
    );

    let output = ok(
        kramers(
            &[
                "run",
                file.to_str().unwrap(),
                "--backend",
                "cpu",
                "--resume",
                out.to_str().unwrap(),
            ],
            &[],
        ),
        "resume",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("resuming"), "{stderr}");
    assert_eq!(
        without_run(&out.join("result.json")),
        without_run(&whole.join("result.json"))
    );
    assert_eq!(
        std::fs::read(out.join("first_passage.u32")).unwrap(),
        std::fs::read(whole.join("first_passage.u32")).unwrap()
    );
    assert_eq!(read_json(&out.join("result.json"))["run"]["resumed"], true);
    assert!(!checkpoint.exists(), "checkpoint left after a finished run");
    assert!(!out.join("checkpoint.fpt").exists());
}

/// A heavy-tailed case whose trajectories blow up is counted as `diverged` with
/// a warning, and the Gaussian case beside it keeps clean statistics:
/// Euler–Maruyama's stationary variance D0 / (H (2 - H dt)) within 6 standard
/// errors (false-failure rate below 1e-8 with the fixed seed).
#[test]
fn blown_up_case_is_counted_and_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "blowup.toml",
        r#"
name = "blow-up"
seed = 4
dt = 0.1
max_steps = 1000
trajectories = 4000
[potential]
kind = "quadratic"
curvature = 1.0
[noise]
kind = "alpha-stable"
index = [0.3, 2.0]
sigma = 1.0
"#,
    );
    for backend in ["cpu", "gpu"] {
        if backend == "gpu" && common::gpu().is_none() {
            continue;
        }
        let out = dir.path().join(backend);
        let output = ok(run(&file, backend, &out, &[], &[]), backend);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let result = read_json(&out.join("result.json"));
        let cases = result["cases"].as_array().unwrap();
        let blown = cases[0]["diverged"].as_u64().unwrap();
        assert!(blown > 0, "{backend}: index 0.3 should blow up");
        assert!(
            stderr.contains("warning: case 0:") && stderr.contains("diverged"),
            "{stderr}"
        );
        assert_eq!(cases[0]["fpt"]["censored"].as_u64().unwrap() + blown, 4000);
        assert!(cases[0]["final"]["mean"][0].is_f64(), "finite mean");
        assert!(cases[0]["final"]["variance"][0].is_f64(), "finite variance");
        assert_eq!(cases[1]["diverged"], 0, "{backend}");
        assert!(!stderr.contains("warning: case 1:"), "{stderr}");
        // index 2: Gaussian increments of variance 2 sigma^2 dt, so D0 = 2.
        let expected = 2.0 / (2.0 - 0.1);
        let variance = cases[1]["final"]["variance"][0].as_f64().unwrap();
        let se = expected * (2.0 / 4000.0f64).sqrt();
        assert!(
            (variance - expected).abs() < 6.0 * se,
            "{backend}: variance {variance} vs {expected}"
        );
    }
}

/// Pre-run warnings: a step size near the stability limit, an unreachable exit.
#[test]
fn doubtful_experiments_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "doubtful.toml",
        r#"
dt = 0.75
max_steps = 10
trajectories = 10
[potential]
kind = "quadratic"
curvature = 2.0
[noise]
kind = "langevin"
d0 = [0.0, 1.0]
[exit]
kind = "ball"
radius = 1.0
"#,
    );
    let output = ok(
        run(&file, "cpu", &dir.path().join("out"), &[], &[]),
        "doubtful",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: case 0: dt * curvature = 0.75 * 2"),
        "{stderr}"
    );
    assert!(stderr.contains("none can reach the exit set"), "{stderr}");
}
