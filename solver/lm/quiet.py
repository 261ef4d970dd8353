"""Library chatter off the console: what torch, transformers, peft and bitsandbytes say
that a user cannot act on goes to the run's log file instead.

:func:`route_library_noise` is called once where a process that loads a model starts (a
run's worker). From then on, in that process:

- records of the library loggers (``bitsandbytes``, ``transformers``, ``peft``,
  ``accelerate``, ``huggingface_hub``) go to the log file, each distinct message once
  (bitsandbytes says ``MatMul8bitLt: inputs will be cast`` on every 8-bit matrix
  product); errors are also printed on stderr;
- Python warnings raised inside libraries go to the log file; warnings that point at the
  solver's own code (raised there, or by a library about a call the solver makes) still
  print as usual;
- transformers' loading progress bars are off, and tqdm takes a thread lock instead of a
  multiprocessing one: a worker killed at the budget's hard stop would leave that
  semaphore behind, and the resource tracker warns about it at exit.

Nothing here imports torch or transformers; transformers' own handler is replaced when
transformers is (or, through :func:`route_transformers`, gets) imported.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from pathlib import Path

LIBRARY_LOGGERS = ("bitsandbytes", "peft", "accelerate", "huggingface_hub")
FORMAT = "%(asctime)s [pid %(process)d] %(name)s %(levelname)s: %(message)s"
_SOLVER_DIR = str(Path(__file__).resolve().parents[1])

_handler: logging.Handler | None = None
_errors: logging.Handler | None = None
_original_showwarning = None
_warnings_log = logging.getLogger("solver.library_warnings")


class Once(logging.Filter):
    """Passes each distinct message (logger, level, unformatted text) the first time only."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, int, str]] = set()
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        with self.lock:
            if key in self.seen:
                return False
            self.seen.add(key)
            return True


def say_once(logger_name: str) -> None:
    """Records that ``logger_name`` itself emits are passed once per distinct message."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, Once) for f in logger.filters):
        logger.addFilter(Once())


def _ours(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_SOLVER_DIR + os.sep)


def _showwarning(message, category, filename, lineno, file=None, line=None):
    if file is None and not _ours(filename):
        text = warnings.formatwarning(message, category, filename, lineno, line).rstrip()
        _warnings_log.warning(text)
    else:
        _original_showwarning(message, category, filename, lineno, file, line)


def route_library_noise(log_file: str | os.PathLike | None) -> None:
    """From now on, in this process, send library log records and library warnings to
    ``log_file`` (appended; ``None``: drop them), errors also to stderr. Calling it again
    switches to the new file."""
    global _handler, _errors, _original_showwarning
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_file, mode="a", encoding="utf-8",
                                                       delay=True)
    else:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter(FORMAT, datefmt="%H:%M:%S"))
    handler.addFilter(Once())
    errors = logging.StreamHandler(sys.stderr)
    errors.setLevel(logging.ERROR)
    for name in LIBRARY_LOGGERS + (_warnings_log.name,):
        logger = logging.getLogger(name)
        for old in (_handler, _errors):
            if old is not None:
                logger.removeHandler(old)
        logger.addHandler(handler)
        if name != _warnings_log.name:
            logger.addHandler(errors)
        logger.propagate = False
    if _handler is not None:
        _handler.close()
    _handler, _errors = handler, errors
    if _original_showwarning is None:
        _original_showwarning = warnings.showwarning
        warnings.showwarning = _showwarning
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())
    if "transformers" in sys.modules:
        route_transformers()


def route_transformers() -> None:
    """transformers' records to the routed file instead of its own stderr handler, and its
    progress bars off; nothing unless :func:`route_library_noise` was called."""
    if _handler is None:
        return
    from transformers.utils import logging as hf_logging

    hf_logging.disable_default_handler()
    root = hf_logging.get_logger()
    for old in list(root.handlers):
        if old is not _handler and old is not _errors:
            root.removeHandler(old)
    root.addHandler(_handler)
    root.addHandler(_errors)
    root.propagate = False
    hf_logging.disable_progress_bar()
