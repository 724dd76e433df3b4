"""Questions: the bank, each room's plan, questions as files, and runs against their tests."""
