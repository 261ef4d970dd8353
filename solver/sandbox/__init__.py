"""Running untrusted programs: batched, isolated, validated (see :mod:`solver.sandbox.executor`
for what it protects against and what it does not)."""

from solver.sandbox.executor import (STATUSES, Executor, Result, SandboxConfig,  # noqa: F401
                                     SandboxError)
