"""Interview-domain logic: auth, users, rooms. Knows the database, not the transport."""
