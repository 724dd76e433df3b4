"""The room's shared terminal: one shell a room in bubblewrap, shared by every socket of the
room, its ``/workspace`` kept in step with the room's tree, every byte in the record
(docs/terminal.md)."""
