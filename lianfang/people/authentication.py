"""API authentication."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db import connections, models, router
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DRFTokenAuthentication


class _Loader:
    """One model's columns in the token query, and how to turn them back into an instance.

    The values go through the converters Django's compiler applies (the backend's — SQLite dates,
    booleans, decimals — and the field's own ``from_db_value``: encrypted fields), then
    ``Model.from_db``, exactly as a queryset builds its instances.
    """

    def __init__(self, model: type[models.Model], alias: str, connection) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        qn = connection.ops.quote_name
        self.columns = [f"{alias}.{qn(f.column)}" for f in self.fields]
        self.converters: list[tuple[int, list, Any]] = []
        for i, field in enumerate(self.fields):
            col = field.get_col(alias)
            found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if found:
                self.converters.append((i, found, col))
        self.pk_index = self.fields.index(model._meta.pk)

    def build(self, row: tuple | list, connection, db: str) -> models.Model | None:
        if row[self.pk_index] is None:  # LEFT JOIN found nothing
            return None
        values = list(row)
        for i, converters, col in self.converters:
            value = values[i]
            for convert in converters:
                value = convert(value, col, connection)
            values[i] = value
        return self.model.from_db(db, self.names, values)


class _TokenQuery:
    """``SELECT token, user, person, unit … WHERE key = %s``, written once per database.

    ``select_related("user", "user__person", "user__person__unit").get(key=…)`` answered the same,
    but Django compiled its three joins again on every request (a quarter of a millisecond, most of
    the lookup's CPU).
    """

    def __init__(self, token_model: type[models.Model], db: str) -> None:
        from lianfang.org.models import Unit
        from lianfang.people.models import Person

        connection = connections[db]
        qn = connection.ops.quote_name
        user_model = get_user_model()
        self.loaders = [
            _Loader(token_model, "t", connection),
            _Loader(user_model, "u", connection),
            _Loader(Person, "p", connection),
            _Loader(Unit, "n", connection),
        ]
        self.slices = []
        start = 0
        for loader in self.loaders:
            self.slices.append(slice(start, start + len(loader.fields)))
            start += len(loader.fields)

        def column(model: type[models.Model], name: str | None = None) -> str:
            field = cast(models.Field, model._meta.pk if name is None else model._meta.get_field(name))
            return qn(str(field.column))

        token_user = cast(models.ForeignKey, token_model._meta.get_field("user"))
        person_user = cast(models.OneToOneField, Person._meta.get_field("user"))
        person_unit = cast(models.ForeignKey, Person._meta.get_field("unit"))
        columns = ", ".join(c for loader in self.loaders for c in loader.columns)
        # Identifiers from the models, quoted; the key is a parameter.
        self.sql = (
            f"SELECT {columns} FROM {qn(token_model._meta.db_table)} t "  # noqa: S608
            f"INNER JOIN {qn(user_model._meta.db_table)} u ON u.{column(user_model)} = t.{column(token_model, 'user')} "
            f"LEFT OUTER JOIN {qn(Person._meta.db_table)} p ON p.{column(Person, 'user')} = u.{column(user_model)} "
            f"LEFT OUTER JOIN {qn(Unit._meta.db_table)} n ON n.{column(Unit)} = p.{column(Person, 'unit')} "
            f"WHERE t.{column(token_model)} = %s"
        )
        self.token_user_cache = token_user.cache_name
        self.user_person_cache = person_user.remote_field.cache_name
        self.person_user_cache = person_user.cache_name
        self.person_unit_cache = person_unit.cache_name

    def get(self, key: str, db: str):
        connection = connections[db]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [key])
            row = cursor.fetchone()
        if row is None:
            return None
        token, user, person, unit = (
            loader.build(row[s], connection, db) for loader, s in zip(self.loaders, self.slices, strict=True)
        )
        assert token is not None and user is not None  # inner joins
        token._state.fields_cache[self.token_user_cache] = user
        # No roster record: cached as None, so user.person raises DoesNotExist without a query.
        user._state.fields_cache[self.user_person_cache] = person
        if person is not None:
            person._state.fields_cache[self.person_user_cache] = user
            person._state.fields_cache[self.person_unit_cache] = unit
        return token


_queries: dict[tuple[type, str], _TokenQuery] = {}


class TokenAuthentication(DRFTokenAuthentication):
    """DRF's token authentication, reading the user's roster record and unit in the same query.

    Most API calls by employees (the daily check-in) need them; this saves round trips per request.
    Same answers as DRF's class, and the one token scheme of the OpenAPI schema.
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        db = router.db_for_read(model)
        query = _queries.get((model, db))
        if query is None:
            query = _queries[(model, db)] = _TokenQuery(model, db)
        token = query.get(str(key), db)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
