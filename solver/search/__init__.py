"""The search: the per-task loop (:mod:`~solver.search.loop`: sample, execute and merge,
repair, record, decide, learn) over candidates (:mod:`~solver.search.candidates`), programs
run in the sandbox (:mod:`~solver.search.execute`), line pruning (:mod:`~solver.search.prune`),
hindsight relabeling (:mod:`~solver.search.relabel`), sampling heat
(:mod:`~solver.search.heat`), LoRA passes that fit the time left
(:mod:`~solver.search.training`), line-pool repair (:mod:`~solver.search.repair`), the
typed task report (:mod:`~solver.search.report`) and the settings
(:mod:`~solver.search.config`)."""
