"""Turning dumps into article records: pure Python, no Django import.

The database side (`articles.importer`) only ever sees `ParsedArticle` and
`RecordError` values produced here.
"""
