"""Projects: a room's files as one tree in the `code` document, its path rules and caps."""
