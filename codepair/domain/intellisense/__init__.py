"""Language intelligence: a room's language servers, fed by the server from the ``code``
document and shared by every socket of the room (docs/intellisense.md)."""
