"""tircost-bench: benchmark suites and a leaderboard harness for learned cost models of TVM programs."""

__version__ = "0.1.0"
