"""Shards (分片) of a sweep: disjoint parts of its runs for job arrays (SLURM, PBS, by hand).

Shard ``I`` of ``N`` (``I`` in ``1..N``) owns the runs whose ``run_id`` is ``I - 1`` modulo
``N``. The parts are disjoint, together they are the whole design, each is fixed by the sweep
alone (not by the machine, the time or what is already stored), and interleaving the run ids
spreads slow corners of lever space (a grid's last lever, a long reform schedule) over every
shard. Every shard writes into the same store directory at the same time as the others; see
:mod:`reformabm.experiments.store` for why that is safe on a shared file system.

:func:`slurm_script` writes a job-array script that runs shard ``$SLURM_ARRAY_TASK_ID`` of
``N`` in each array task.

Examples
--------
>>> s = Shard.parse("2/3")
>>> s.tag, s.runs(8)
('s2of3', [1, 4, 7])
>>> sorted(sum((Shard(i, 3).runs(8) for i in (1, 2, 3)), []))
[0, 1, 2, 3, 4, 5, 6, 7]
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from reformabm.experiments.design import SweepError

__all__ = ["Shard", "slurm_script", "SHARD_TAG"]

#: How a shard is named in file names (``part-...-s2of4.parquet``, ``.lock-s2of4``).
SHARD_TAG = re.compile(r"-s(\d+)of(\d+)")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based), the runs with ``run_id % count == index - 1``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not (isinstance(self.count, int) and self.count >= 1):
            raise SweepError(f"--shard {self.index}/{self.count}: N must be a whole number >= 1")
        if not (isinstance(self.index, int) and 1 <= self.index <= self.count):
            raise SweepError(f"--shard {self.index}/{self.count}: I must lie in 1..{self.count} "
                             "(shards count from 1, like SLURM_ARRAY_TASK_ID with --array=1-N)")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Parse ``"I/N"`` (a :class:`SweepError` naming ``--shard`` otherwise)."""
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
        if not m:
            raise SweepError(f"--shard {text!r}: expected I/N with whole numbers, e.g. --shard 2/8 "
                             "(the 2nd of 8 shards)")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def tag(self) -> str:
        """The shard's name in file names: ``s<I>of<N>``."""
        return f"s{self.index}of{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, run_id: int) -> bool:
        """Whether run ``run_id`` belongs to this shard."""
        return run_id % self.count == self.index - 1

    def runs(self, total: int) -> list[int]:
        """The run ids of this shard among ``range(total)``, ascending."""
        return list(range(self.index - 1, total, self.count))


def slurm_script(sweep_file: str | Path, out: str | Path, shards: int, *, name: str = "sweep",
                 cpus: int = 1, time: str = "04:00:00", python: str | None = None) -> str:
    """Return a SLURM job-array script that runs the ``shards`` shards of a sweep.

    Each array task ``i`` runs ``reformabm sweep FILE --out DIR --shard i/N`` with ``cpus``
    worker processes. Paths are made absolute, so the script can be submitted from anywhere.

    Parameters
    ----------
    sweep_file, out : path
        The sweep file and the store directory (on a file system every node sees).
    shards : int
        N, the array's size (``--array=1-N``).
    cpus : int
        ``--cpus-per-task``, also the shard's ``--workers``.
    time : str
        ``--time`` of each array task (edit it to your runs' length).
    python : str, optional
        The interpreter with reformabm installed (default: this one).
    """
    if shards < 1:
        raise SweepError(f"--slurm {shards}: expected at least 1 array task")
    if cpus < 1:
        raise SweepError(f"--workers {cpus}: expected at least 1")
    py = python or sys.executable
    file_ = Path(sweep_file).resolve()
    out_ = Path(out).resolve()
    job = re.sub(r"[^A-Za-z0-9_.-]", "_", f"reformabm-{name}")
    q = shlex.quote
    return f"""#!/bin/bash
# SLURM job array for the reformabm sweep '{name}': {shards} shards, one per array task.
# Submit with:   sbatch {q(str(out_ / "slurm.sh"))}
# Each task runs shard $SLURM_ARRAY_TASK_ID of {shards} into the same store; tasks may run at
# the same time, fail, hit their wall time or be requeued: rerunning a shard resumes it.
# When all are done (or to fill in what failed), run once, anywhere:
#   reformabm sweep {q(str(file_))} --out {q(str(out_))}
# which runs whatever is missing and finds nothing to do if every shard finished.
#SBATCH --job-name={job}
#SBATCH --array=1-{shards}
#SBATCH --ntasks=1
#SBATCH --cpus-per-task={cpus}
#SBATCH --time={time}
#SBATCH --output={out_}/slurm/%A_%a.out
#SBATCH --requeue
##SBATCH --partition=normal        # edit: your partition
##SBATCH --account=my_project      # edit: your account
##SBATCH --mem-per-cpu=2G
# (the output directory {out_}/slurm must exist before the job starts; --slurm made it)
set -euo pipefail
cpus="${{SLURM_CPUS_PER_TASK:-{cpus}}}"
backend=local                      # a process pool over the task's cpus
[ "$cpus" -gt 1 ] || backend=sequential
exec {q(py)} -m reformabm.cli sweep {q(str(file_))} --out {q(str(out_))} \\
    --shard "${{SLURM_ARRAY_TASK_ID}}/{shards}" --workers "$cpus" --backend "$backend" --quiet
"""
