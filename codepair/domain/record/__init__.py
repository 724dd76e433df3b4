"""The interview record: the documents at any moment, the timeline, the whiteboard."""
