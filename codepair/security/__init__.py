"""Passwords, tokens and the principal a request or socket acts as."""
