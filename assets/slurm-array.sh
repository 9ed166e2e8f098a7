#!/bin/bash
# kramers on a Slurm cluster: one experiment split into 16 shards run as a job
# array, then merged into one result.json identical to a single-machine run's.
#
#   sbatch assets/slurm-array.sh experiment.toml          # the 16 shards
#   # when all have finished (or chain it: sbatch --dependency=afterok:<jobid> ...):
#   kramers merge runs/shard-*/result.json -o runs/result.json --csv runs/cases.csv
#
# kramers reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT itself (task ids
# may start anywhere: SLURM_ARRAY_TASK_MIN is subtracted, a step such as
# --array=0-60:4 is divided out), so no --shard flag is needed. Each task writes
# its own directory; a task that is preempted or killed restarts from its
# checkpoint (written every 5 minutes) when requeued.
#SBATCH --job-name=kramers
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --gpus-per-task=1
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=runs/slurm-%A_%a.log
set -euo pipefail

experiment=${1:?usage: sbatch slurm-array.sh EXPERIMENT.toml}
out=runs/shard-${SLURM_ARRAY_TASK_ID}
mkdir -p runs

if [ -f "$out/checkpoint.json" ]; then
    # requeued after a crash or preemption: continue where the checkpoint left off
    exec kramers run "$experiment" --resume "$out" --checkpoint-every 300
fi
exec kramers run "$experiment" --out "$out" --checkpoint-every 300
