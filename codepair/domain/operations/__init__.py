"""Operations: retention and deletion, the audit log, backup and restore."""
