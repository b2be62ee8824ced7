"""A database backend: Django's PostgreSQL backend on the embedded server.

It differs from the stock backend in one thing: the server is started on the
first connection, not when settings are imported, so commands that never touch
the database never start it.
"""
