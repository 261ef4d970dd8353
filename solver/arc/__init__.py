"""ARC data: grids, pairs and tasks; loading and validating challenges, solutions and task
folders; the Kaggle submission (build, validate, score); the wall-clock budget.

The lowest layer: it imports nothing else of the package.
"""
