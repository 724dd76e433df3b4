"""Take-home assessments: the candidate works alone, on the server's clock, and the hidden
tests grade the result (docs/take-home.md)."""
