"""Many tasks within one budget: the coordinator and its worker pool, the journal and
resume, the submission kept complete at every moment.

Modules: ``coordinator`` (:func:`run_tasks`), ``pool`` (worker processes), ``worker`` (a
worker's body), ``journal`` (journal and resume rules), ``reports`` (per-task report files),
``malformed`` (fallback entries for tasks that did not load), ``devices`` (GPUs, workers),
``config`` (the run's settings).
"""

from solver.dsl.demo import DEMO_DIR  # noqa: F401  (kept here for older imports)
from solver.run.config import RunConfig  # noqa: F401
from solver.run.coordinator import RunSummary, run_tasks  # noqa: F401
from solver.run.journal import read_journal  # noqa: F401
from solver.run.malformed import malformed_entries  # noqa: F401
from solver.run.reports import load_reports  # noqa: F401
