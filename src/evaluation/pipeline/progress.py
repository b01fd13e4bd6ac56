"""Progress of a run on stderr: one line per finished report."""

from __future__ import annotations

import sys

from evaluation.pipeline.jobs import JobResult


class Progress:
    """A line per finished job on stderr; above a tqdm bar when tqdm is installed and stderr is
    a terminal (a bar redrawn into a CI log is noise)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled, self.bar = total, 0, enabled, None
        if enabled and total and sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, unit="report", file=sys.stderr, leave=False)

    def update(self, result: JobResult) -> None:
        self.done += 1
        if not self.enabled:
            return
        duration = f"{result.duration_s:.1f} s" if result.duration_s is not None else "-"
        line = f"[{self.done}/{self.total}] {result.status:<6} {result.name} ({duration})"
        if result.status == "failed":
            line += f": {result.failure_text()}"
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
            self.bar.update(1)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
