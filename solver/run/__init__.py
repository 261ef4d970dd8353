"""Many tasks within one budget: the worker pool, the journal and resume, the submission
kept complete at every moment."""

from solver.run.coordinator import (DEMO_DIR, RunSummary, load_reports, malformed_entries,  # noqa: F401
                                    read_journal, run_tasks)
