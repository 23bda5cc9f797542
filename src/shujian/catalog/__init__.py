"""Data catalog: datasets, versions, schema, semantic types, import and quality."""
