"""Run one benchmark job in this process: ``python -m benchmarks.worker JOB.json RESULT.json``.

Each job gets its own process so that its peak resident memory (VmHWM) is its own.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from benchmarks import jobs
from benchmarks.jobs import Job


def run_job(job: Job) -> dict[str, Any]:
    """Run ``job`` and return its measurements."""
    if job.kind == jobs.TRANSFORMERS:
        from benchmarks.hf_pipeline import run_transformers

        return run_transformers(job)
    if job.kind == jobs.BUILD_REDPAJAMA_SHAPE:
        from benchmarks.models import build_redpajama_shape

        return {"path": str(build_redpajama_shape(Path(job.model), job.threads))}

    from benchmarks import loops

    if job.kind == jobs.MUSE_LOOP:
        return loops.run_engine_loop(job, muse=True)
    if job.kind == jobs.PLAIN_LOOP:
        return loops.run_engine_loop(job, muse=False)
    if job.kind == jobs.LLAMA_COMPLETION:
        return loops.run_llama_completion(job)
    if job.kind == jobs.CONTINUATION:
        return loops.run_continuation(job)
    return loops.run_long_generation(job)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m benchmarks.worker JOB.json RESULT.json", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="worker: %(levelname)s: %(message)s", stream=sys.stderr)
    job = Job.from_dict(json.loads(Path(argv[0]).read_text()))
    result = run_job(job)
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
