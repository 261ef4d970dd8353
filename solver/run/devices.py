"""Which devices the workers get: the GPUs this process may use, one worker per GPU."""

from __future__ import annotations

import os


def visible_gpus() -> int:
    """GPUs this process may use, without importing torch: ``CUDA_VISIBLE_DEVICES`` when
    set, else the NVIDIA driver's device list."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        ids = [x for x in env.split(",") if x.strip() and x.strip() != "-1"]
        return len(ids)
    try:
        return len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return 0


def default_workers() -> int:
    """One worker per visible GPU; one on CPU."""
    return max(1, visible_gpus())


def threads_per_worker(workers: int, threads: int | None = None) -> int | None:
    """CPU threads each worker sets: ``threads`` when given; on GPUs None (torch's own);
    on CPU the cores shared out among the workers."""
    if threads:
        return threads
    if visible_gpus():
        return None
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def gpu_of(worker_id: int) -> int | None:
    """The GPU a worker is pinned to (workers take GPUs in turn); None with fewer than two
    GPUs (the worker sees what the process sees)."""
    gpus = visible_gpus()
    return worker_id % gpus if gpus > 1 else None
