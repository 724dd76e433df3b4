"""The terminal's record: the bytes of a room's shell kept with the room (``record``), and
what is made of them: the asciicast v2 file and the last screen for the report (``cast``)."""
