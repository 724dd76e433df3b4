"""Routes for reports: scorecards and the interview report."""
