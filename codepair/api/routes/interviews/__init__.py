"""Routes for interviews: rooms, invites and joining, and code runs."""
