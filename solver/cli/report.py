"""``solver report RUN_DIR``: a summary table per task, a table per round (with the
programs' sandbox statuses) and the note's two figures per task."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from solver.cli.tables import format_table
from solver.run.reports import load_reports, safe_name

MAX_EXAMPLE_CHARS = 160


def summary_table(reports: Mapping[str, dict]) -> str:
    """Per task: status, rounds, the round that first had a train-exact program and what
    found it, best and mean train accuracy of the first and last round, seconds."""
    rows = []
    for tid, rep in reports.items():
        rounds = rep.get("rounds") or []
        first, last = (rounds[0], rounds[-1]) if rounds else ({}, {})
        rows.append((tid, rep.get("status", "?"), len(rounds), rep.get("solved_round"),
                     rep.get("solved_by"),
                     f"{first.get('best_train_acc', 0):.3f}→{last.get('best_train_acc', 0):.3f}",
                     f"{first.get('mean_train_acc', 0):.3f}→{last.get('mean_train_acc', 0):.3f}",
                     f"{rep.get('seconds') or 0:.1f}"))
    return format_table(("task", "status", "rounds", "solved@", "by", "best first→last",
                         "mean first→last", "seconds"), rows, "<<>><>>>")


def status_counts(rec: Mapping) -> str:
    """A round's programs by sandbox status, most frequent first (``-`` when the report
    predates the counts)."""
    counts = rec.get("statuses")
    if not isinstance(counts, dict) or not counts:
        return "-"
    return ", ".join(f"{s} {n}" for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def rounds_table(tid: str, rep: Mapping) -> str:
    """One task's rounds: samples, valid and distinct programs, best and mean train
    accuracy, the programs by sandbox status; then one example message per status."""
    rounds = rep.get("rounds") or []
    rows = [(r.get("round"), r.get("samples"), r.get("valid"), r.get("distinct"),
             f"{r.get('best_train_acc', 0):.3f}", f"{r.get('mean_train_acc', 0):.3f}",
             status_counts(r)) for r in rounds]
    lines = [f"{tid} ({rep.get('status', '?')}, {len(rounds)} rounds)",
             format_table(("round", "samples", "valid", "distinct", "best", "mean", "statuses"),
                          rows, ">>>>>><")]
    examples: dict[str, str] = {}
    for r in rounds:  # the first example of each status
        for status, msg in (r.get("status_examples") or {}).items():
            examples.setdefault(status, " ".join(str(msg).split())[:MAX_EXAMPLE_CHARS])
    lines += [f"  {status}: {msg}" for status, msg in sorted(examples.items())]
    return "\n".join(lines)


def _figures(reports: Mapping[str, dict], out: Path) -> int | None:
    """The note's two figures per task as PNG; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    n = 0
    for tid, rep in reports.items():
        rounds = rep.get("rounds") or []
        if not rounds:
            continue
        x = [r["round"] for r in rounds]
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(x, [r.get("best_train_acc", 0) for r in rounds], "o-", label="best")
        ax.plot(x, [r.get("mean_train_acc", 0) for r in rounds], "s--", label="mean (valid)")
        ax.set(xlabel="epoch (round)", ylabel="train pixel accuracy", ylim=(0, 1.02),
               title=f"{tid}: best prediction by epoch", xticks=x)
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(out / f"{safe_name(tid)}-best.png", dpi=100)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(6, 3.5))
        data = [r.get("accuracies") or [0.0] for r in rounds]
        ax.violinplot(data, positions=x, showmedians=True)
        ax.set(xlabel="epoch (round)", ylabel="train pixel accuracy", ylim=(0, 1.02),
               title=f"{tid}: distribution of accuracies", xticks=x)
        fig.tight_layout()
        fig.savefig(out / f"{safe_name(tid)}-dist.png", dpi=100)
        plt.close(fig)
        n += 2
    return n


def cmd_report(args) -> int:
    run_dir = Path(args.run_dir)
    reports = load_reports(run_dir)
    if not reports:
        print(f"error: {run_dir}: no task reports (tasks/*.json)")
        return 2
    out = Path(args.out) if args.out else run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    table = summary_table(reports)
    rounds = "\n\n".join(rounds_table(tid, rep) for tid, rep in reports.items())
    (out / "summary.txt").write_text(table + "\n")
    (out / "rounds.txt").write_text(rounds + "\n")
    print(table)
    print()
    print(rounds)
    n = _figures(reports, out)
    if n is None:
        print("figures need matplotlib: pip install 'solver[plot]'")
        return 0
    print(f"wrote {n} figures, summary.txt and rounds.txt to {out}/")
    return 0


def register(verbs) -> None:
    """Add this module's verb to the ``solver`` command's subparsers."""
    p = verbs.add_parser("report", help="tables and figures of a solve run")
    p.add_argument("run_dir", help="the run directory of solve / dry-run")
    p.add_argument("--out", default=None, help="output folder (default: RUN_DIR/report)")
    p.set_defaults(func=cmd_report)
