"""Reports of conformance runs: the result model and its writers, baselines, compare, matrix.

model (report.json and its schema), collect + plugin (pytest hooks), html / markdown / junit /
writer (the files of a run), baseline (known failures), compare (two runs), matrix (servers side
by side), runner (what the command line runs).
"""
