"""A fast path for loading data with marshmallow schemas: event payloads and API request rows.

Every consumer checks every payload it reads, a replay reads millions, and a batch of
observations is a thousand rows. Profiled, marshmallow's schema plumbing (error stores, getters,
a validator object built per field per call) cost several times the checks themselves: about 60%
of a replaying consumer's time. `compile_schema` turns a
schema into plain nested functions that run the same checks in the same order: each field's own
conversion (`_deserialize`, marshmallow's extension point), its validators, nested schemas and
lists recursively, and the schema's `validates_schema` hooks on the converted data.

It only ever vouches. `Unsure` is raised for anything it does not accept, and then marshmallow
decides and words the error; a schema using a feature not modelled here compiles to None, and
marshmallow checks every payload of it. So the fast path can make checking quicker, never
more lenient (tests/shared/test_fastload.py mutates a valid payload of every event type and a
request row, and checks that whatever the fast path accepts, marshmallow accepts as the same data).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.utils import missing

Loader = Callable[[Any], Any]


class Unsure(Exception):
    """The fast path cannot vouch for this payload; marshmallow must decide."""


def load(schema: Schema, data: Any) -> Any:
    """`schema.load(data)`: the fast path's answer when it vouches, marshmallow's otherwise, so
    anything refused raises marshmallow's `ValidationError`, field by field."""
    fast = _compiled(schema)
    if fast is not None:
        try:
            return fast(data)
        except Unsure:
            pass
    return schema.load(data)


@cache
def _compiled(schema: Schema) -> Loader | None:
    # Schemas are long-lived module or registry singletons, and loading does not change them.
    return compile_schema(schema)


def compile_schema(schema: Schema, unknown: str | None = None) -> Loader | None:
    """A function returning what `schema.load(data, unknown=unknown)` would for data it vouches
    for, raising `Unsure` otherwise; None if the schema uses what is not modelled here."""
    unknown = unknown or schema.unknown
    if unknown not in (EXCLUDE, RAISE) or schema.many:
        return None
    if any(schema._hooks[tag] for tag in (PRE_LOAD, POST_LOAD, VALIDATES)):
        return None
    schema_checks = []
    for attr_name, many, hook_kwargs in schema._hooks[VALIDATES_SCHEMA]:
        if many or hook_kwargs.get("pass_original"):
            return None
        schema_checks.append(getattr(schema, attr_name))
    field_loaders = []
    for name, field in schema.load_fields.items():
        value_loader = _value_loader(field)
        if value_loader is None or field.attribute:
            return None
        field_loaders.append((field.data_key or name, name, field, value_loader))
    known_keys = frozenset(key for key, *_ in field_loaders)

    def load(data: Any) -> dict[str, Any]:
        if type(data) is not dict:  # what JSON gives; another Mapping goes to marshmallow
            raise Unsure
        if unknown == RAISE and not known_keys.issuperset(data):
            raise Unsure
        loaded: dict[str, Any] = {}
        for key, name, field, value_loader in field_loaders:
            value = data.get(key, missing)
            if value is missing:
                if field.required:
                    raise Unsure
                default = field.load_default
                if default is not missing:
                    loaded[name] = default() if callable(default) else default
                continue
            loaded[name] = value_loader(value)
        for check in schema_checks:
            try:
                check(loaded, partial=None, many=False, unknown=unknown)
            except ValidationError as error:
                raise Unsure from error
        return loaded

    return load


def _value_loader(field: fields.Field) -> Loader | None:
    """A present value of `field`, converted and validated as `field.deserialize` would."""
    if field.pre_load or _overrides_checking(field):
        return None
    convert: Loader | None
    if isinstance(field, fields.Nested):
        convert = _nested_loader(field)
    elif isinstance(field, fields.List):
        convert = _list_loader(field)
    elif type(field) is fields.Dict:
        convert = _dict_loader(field)
    else:
        convert = _converter(field)
    if convert is None:
        return None
    validators = tuple(field.validators)
    allow_none = field.allow_none

    def load(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise Unsure
        try:
            converted = convert(value)
            for validator in validators:
                if validator(converted) is False:  # marshmallow's rule for plain functions
                    raise Unsure
        except ValidationError as error:
            raise Unsure from error
        return converted

    return load


def _overrides_checking(field: fields.Field) -> bool:
    """True if the field's class changes how a value is checked anywhere but `_deserialize`."""
    cls = type(field)
    return any(
        getattr(cls, method) is not getattr(fields.Field, method)
        for method in ("deserialize", "_validate", "_validate_missing")
    )


def _converter(field: fields.Field) -> Loader:
    deserialize = field._deserialize
    # What marshmallow returns for the commonest JSON values, without its calls: a str for a
    # `String`, an int for a strict `Integer` (both unchanged). Anything else goes to the field.
    as_is: type | None = {fields.String: str, fields.Integer: int}.get(type(field))
    if as_is is int and not field.strict:
        as_is = None

    def convert(value: Any) -> Any:
        if type(value) is as_is:
            return value
        return deserialize(value, None, None)

    return convert


def _nested_loader(field: fields.Nested) -> Loader | None:
    schema = field.schema
    if not isinstance(schema, Schema):
        return None
    load_one = compile_schema(schema, unknown=field.unknown)
    if load_one is None or not field.many:
        return load_one
    return _each(load_one)


def _list_loader(field: fields.List) -> Loader | None:
    load_item = _value_loader(field.inner)
    return None if load_item is None else _each(load_item)


def _dict_loader(field: fields.Dict) -> Loader | None:
    """Each key and value through its own field, as `Mapping._deserialize` does (a needs
    assessment's scores: twenty values, each a marshmallow call otherwise)."""
    load_key = _value_loader(field.key_field) if field.key_field else _as_is
    load_value = _value_loader(field.value_field) if field.value_field else _as_is
    if load_key is None or load_value is None:
        return None

    def load(value: Any) -> dict[Any, Any]:
        if type(value) is not dict:
            raise Unsure
        return {load_key(key): load_value(item) for key, item in value.items()}

    return load


def _as_is(value: Any) -> Any:
    return value


def _each(load_item: Loader) -> Loader:
    def load(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Unsure
        return [load_item(item) for item in value]

    return load
