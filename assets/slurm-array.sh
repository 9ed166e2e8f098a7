#!/bin/bash
# kramers on a Slurm cluster: one experiment split into 16 shards run as a job
# array, then merged into one result.json identical to a single-machine run's.
#
#   mkdir -p runs    # Slurm opens runs/slurm-*.log before this script runs
#   sbatch assets/slurm-array.sh experiment.toml                     # 16 shards, CPU
#   sbatch --gpus-per-task=1 assets/slurm-array.sh experiment.toml   # one GPU each
#   sbatch assets/slurm-array.sh experiment.toml --backend cpu --seed 5
#   # when all have finished (or chain it: sbatch --dependency=afterok:<jobid> ...):
#   kramers merge runs/shard-* -o runs/merged    # result.json, cases.csv, plots, first_passage.*
#
# Arguments after the experiment file are passed on to `kramers run` (not
# --out or --resume: the script sets those). GPUs are requested on the sbatch
# command line (--gpus-per-task=1, plus your site's GPU partition), not here,
# so that the same script also runs on CPU-only nodes; `--backend auto`
# (kramers' default) uses a GPU when the task has one.
#
# kramers reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT itself (task ids
# may start anywhere: SLURM_ARRAY_TASK_MIN is subtracted, a step such as
# --array=0-60:4 is divided out), so no --shard flag is needed. Each task writes
# its own directory; a task that is preempted or killed restarts from its
# checkpoint (written every 5 minutes; KRAMERS_CHECKPOINT_EVERY=SECONDS in the
# submitting environment changes that) when requeued (`scontrol requeue
# <jobid>_<task>`). A requeued task whose shard had already finished keeps its
# result and exits. A task cancelled mid-run is resubmitted on its own with
# `sbatch --array=5 assets/slurm-array.sh experiment.toml`: it resumes the
# slice its checkpoint names. To run a shard that has no checkpoint as a new
# one-task job, name the shard (a one-task array has SLURM_ARRAY_TASK_COUNT=1,
# which kramers would read as shard 0 of 1):
#
#   sbatch --array=5 assets/slurm-array.sh experiment.toml --shard 5/16
#SBATCH --job-name=kramers
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=runs/slurm-%A_%a.log
set -euo pipefail

experiment=${1:?usage: sbatch slurm-array.sh EXPERIMENT.toml [KRAMERS RUN OPTIONS]}
out=runs/shard-${SLURM_ARRAY_TASK_ID}
checkpoint_every=${KRAMERS_CHECKPOINT_EVERY:-300}
mkdir -p runs

# Use the CPUs Slurm allocated: where a node has no cpusets, kramers would
# otherwise start one thread per core of the whole node.
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-$SLURM_CPUS_PER_TASK}
fi

if [ -f "$out/checkpoint.json" ]; then
    # requeued after a crash or preemption: continue where the checkpoint left off
    echo "resuming $out from its checkpoint (restart ${SLURM_RESTART_COUNT:-0})" >&2
    exec kramers run "$experiment" --resume "$out" --checkpoint-every "$checkpoint_every" "${@:2}"
fi
if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ] && [ -f "$out/result.json" ]; then
    # requeued after this shard had finished (the checkpoint is deleted once
    # result.json is written): the result stands, running it again would only
    # repeat the same draws
    echo "$out already finished; keeping its result.json (remove $out to run it again)" >&2
    exit 0
fi
exec kramers run "$experiment" --out "$out" --checkpoint-every "$checkpoint_every" "${@:2}"
