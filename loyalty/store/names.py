"""Table and column names of the models, as `psycopg.sql` identifiers (never formatted text)."""

from psycopg import sql


def table(model) -> sql.Identifier:
    """The model's table."""
    return sql.Identifier(model._meta.db_table)


def column(model, name: str, alias: str | None = None) -> sql.Composable:
    """The column of the model's field `name` (the primary key for "pk"), optionally qualified
    by a table alias."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return sql.Identifier(alias, field.column) if alias else sql.Identifier(field.column)


def columns(model, names, alias: str | None = None) -> sql.Composed:
    """A comma-separated list of the columns of `names`."""
    return sql.SQL(", ").join(column(model, name, alias) for name in names)


def text(statement: sql.Composable) -> str:
    """The statement's text, composed once at import (so prepared statements and the query log
    see a plain string; identifiers are quoted by psycopg)."""
    return statement.as_string()
