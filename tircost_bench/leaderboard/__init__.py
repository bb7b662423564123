"""The leaderboard: ranked rows from MLflow runs, and the published (committed) markdown/JSON files."""

from tircost_bench.leaderboard.publish import publish  # noqa: F401
from tircost_bench.leaderboard.ranking import Row, ranked_rows  # noqa: F401
