"""The search: the per-task loop (sample, execute, merge, repair, record, decide, learn),
candidates, hindsight relabeling, attempt ranking and the task report."""
