"""The PostgreSQL backend: one pipeline shared by a team on a database server.

Importing this package costs nothing: the driver (psycopg 3) is imported only by
:mod:`salespipe.storage.postgres.connection`, once a command has a PostgreSQL target,
so commands on a data file keep their start-up time. See docs/team.md.
"""
