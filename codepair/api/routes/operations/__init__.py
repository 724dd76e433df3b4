"""Routes for operations: the audit log."""
