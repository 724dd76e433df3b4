"""Reports: scorecards, and the interview report with its Markdown, HTML and PDF renderings."""
