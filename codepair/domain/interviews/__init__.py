"""Interviews: rooms, who may do what in them, invites, and the rooms and runs as listed."""
