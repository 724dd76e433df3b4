"""Commands beyond serving: operations (backup, restore, purge), the question bank as files,
and the OpenAPI schema for the web client's types."""
