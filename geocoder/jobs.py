"""Batch geocoding jobs in the memory of the server process that started them, bounded three ways.

At most `max_jobs` are kept at once — waiting, running, or finished and not yet expired — and a new one
beyond that is refused (`JobsFull`, a 503 with the seconds until a place could free); `concurrency` of them
geocode at a time, on threads of their own, the others wait (status `accepted`); a finished job is forgotten
`ttl_s` after it finishes. A job is visible only to the token that started it: it holds that caller's
uploaded rows.
"""

import asyncio
import math
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from gis.errors import ServiceBusy

# OGC API - Processes job states (statusInfo); onemap's jobs are never dismissed, only forgotten.
Status = Literal["accepted", "running", "successful", "failed"]
# The geocoding of one job: given a progress callback (rows done), the result CSV and its failed rows.
Work = Callable[[Callable[[int], None]], tuple[bytes, int]]


class JobsFull(ServiceBusy):
    """Every place for a batch job is taken; `retry_after_s` is the earliest a kept job could expire."""


@dataclass
class Job:
    """One batch job: its owner, progress and, once successful, the CSV result."""

    id: str
    owner: int  # id of the token that started it
    rows: int = 0
    status: Status = "accepted"
    done: int = 0
    failed_rows: int | None = None
    error: str | None = None
    result: bytes | None = None
    expires_at: float | None = None  # on the store's clock, once finished


class JobStore:
    """The batch jobs of one server process (app.state.geocode_jobs)."""

    def __init__(
        self, *, max_jobs: int, concurrency: int, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_jobs, self.ttl_s, self.clock = max_jobs, ttl_s, clock
        self._jobs: dict[str, Job] = {}
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="geocode-job")

    def close(self) -> None:
        """Stop the job threads (the server is shutting down): waiting jobs never start."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __len__(self) -> int:
        """The jobs kept now."""
        return len(self._jobs)

    def reserve(self, owner: int, *, instead: str) -> Job:
        """A place for a new job of `owner` (before its upload is read); JobsFull, which suggests doing
        `instead`, when none is free."""
        now = self.clock()
        kept = [j for j in self._jobs.values() if not _expired(j, now)]
        if len(kept) >= self.max_jobs:
            # the earliest a kept job could expire: a finished one at expires_at, an unfinished one ttl_s
            # after it finishes, so not before now + ttl_s (a lower bound: a place may free later)
            frees_at = min(now + self.ttl_s if j.expires_at is None else j.expires_at for j in kept)
            wait = max(1, math.ceil(frees_at - now))
            raise JobsFull(
                f"the server keeps {self.max_jobs} batch geocoding jobs at once and all are taken: try again "
                f"in {wait} seconds, or {instead}", wait)
        job = Job(id=uuid.uuid4().hex, owner=owner)
        self._jobs[job.id] = job
        return job

    def discard(self, job: Job) -> None:
        """Forget a job: one that never started (its upload was refused), or one whose time is up."""
        self._jobs.pop(job.id, None)

    def start(self, job: Job, rows: int, work: Work) -> None:
        """Queue the job's work; it expires `ttl_s` after it finishes, successful or not, and a timer
        then forgets it (its result with it)."""
        job.rows = rows

        def run() -> None:
            def progress(done: int) -> None:
                job.done = done

            job.status = "running"
            try:
                job.result, job.failed_rows = work(progress)
                job.status = "successful"
            except Exception as error:  # any failure of one job is its status, not the server's
                job.error, job.status = str(error), "failed"
            finally:
                job.expires_at = self.clock() + self.ttl_s

        loop = asyncio.get_running_loop()
        finished = loop.run_in_executor(self._executor, run)
        finished.add_done_callback(lambda _: loop.call_later(self.ttl_s, self.discard, job))

    def get(self, job_id: str, owner: int) -> Job | None:
        """The job if it exists, has not expired and belongs to `owner`."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner and not _expired(job, self.clock()) else None


def _expired(job: Job, now: float) -> bool:
    """The job's time is up (its timer forgets it about then)."""
    return job.expires_at is not None and job.expires_at <= now
