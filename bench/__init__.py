"""paper-rag benchmark: `python -m bench.run [--quick] [--only NAME,...] [--out bench/]`.

Every heavy measurement runs in its own subprocess against a fresh temporary index folder
(never data/index); the orchestrator only starts processes, reads /proc and writes
bench/results.json and bench/results.md.
"""
