"""Progress of a long job as tqdm bars, for the command line and for notebooks.

``pack`` and ``rehydrate`` take a ``progress`` callback ``(stage, done, total)``; this module's
``ProgressBars`` is one: a bar per stage, with its rate and, when the total is known, its ETA.

    >>> from archive import ProgressBars, pack  # doctest: +SKIP
    >>> pack(["captures"], "dist", settings, progress=ProgressBars(notebook=True))  # doctest: +SKIP
"""

from __future__ import annotations

import sys

# What each stage of a pack counts; any other stage counts its tasks.
STAGE_UNITS = {"scan": "files", "extract": "documents", "gather": "shards", "finalize": "shards",
               "write": "shards"}  # fmt: skip


class ProgressBars:
    """One tqdm bar per stage, counting documents, shards or tasks (``unit`` names one for
    all stages), with the rate and, when the total is known, the ETA; ``notebook=True`` draws
    Jupyter widgets through ``tqdm.auto``; ``enabled=False`` draws nothing."""

    def __init__(self, *, enabled: bool = True, notebook: bool = False, file=None, unit=None):
        self.enabled, self.notebook, self.file, self.unit = enabled, notebook, file, unit
        self.bar = None
        self.stage: str | None = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            unit = self.unit or STAGE_UNITS.get(stage, "tasks")
            self.bar = self._tqdm()(
                total=total, desc=stage, unit=f" {unit}", file=self.file, leave=False
            )
        if total is not None and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def _tqdm(self):
        if self.notebook:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm
        return tqdm

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def terminal_bars(quiet: bool) -> ProgressBars:
    """Bars on stderr when it is a terminal and the user did not ask for quiet."""
    return ProgressBars(enabled=not quiet and sys.stderr.isatty(), file=sys.stderr)
