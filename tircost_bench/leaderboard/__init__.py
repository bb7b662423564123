"""The leaderboard: rows built from results files (published under leaderboard/results/, plus the user's own
runs), the publishing rules, the published markdown/JSON files, and their copy in the local MLflow store."""

from tircost_bench.leaderboard.publish import PublishError, PublishReport, publish  # noqa: F401
from tircost_bench.leaderboard.ranking import Board, Row, build_board, ranked_rows  # noqa: F401
