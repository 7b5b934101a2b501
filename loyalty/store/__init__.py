"""The ledger store: the one place that holds hand-written SQL over the ledger tables.

Statements are composed with `psycopg.sql` only: table and column names come from the models'
`_meta` through `sql.Identifier`, values always travel as parameters. Services call the plain
functions here; they never build SQL themselves.
"""
