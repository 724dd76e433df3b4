"""Accounts: sign-in sessions, passwords and the users leads manage."""
