"""Model instances for the hot paths, built without `Model.__init__`.

A purchase makes a handful of instances (the purchase, its entries and lot; the account, member
and lots it read), and `Model.__init__` — a descriptor per field, both init signals, keyword
handling — was ~11 % of a purchase request's CPU (py-spy). These build the same instances the
way unpickling does: attribute values straight into `__dict__`, no signals (this project has
no receivers of `pre_init`/`post_init`, and none may be added for these models).
`tests/loyalty/test_instances.py` compares them field by field with what Django builds.
"""

import functools
from collections.abc import Sequence

from django.db import router
from django.db.models.base import ModelState


def loaded(model, names: Sequence[str], values: Sequence, alias: str):
    """What `model.from_db(alias, names, values)` gives for a full row (`names`: attnames)."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values))
    state = instance._state = ModelState()
    state.adding, state.db = False, alias
    return instance


@functools.cache
def _plan(model) -> tuple[dict, dict, list]:
    """(relation name → attname, attname → True, [(attname, default getter)]) of a model."""
    relations, plain, defaults = {}, {}, []
    for field in model._meta.concrete_fields:
        if field.is_relation:
            relations[field.name] = field.attname
        plain[field.attname] = True
        defaults.append((field.attname, field._get_default))
    return relations, plain, defaults


def built(model, **values):
    """What `model(**values)` gives, for keyword values of concrete fields only: a related
    object by its field's name (cached on the instance, its pk as the id) or an id by attname;
    every other field gets its default."""
    relations, plain, defaults = _plan(model)
    instance = model.__new__(model)
    state = instance._state = ModelState()
    data = instance.__dict__
    cache = state.fields_cache
    for name, value in values.items():
        attname = relations.get(name)
        if attname is not None:
            cache[name] = value
            if value is None:
                data[attname] = None
                continue
            data[attname] = value.pk
            # As the relation's descriptor does: both ends get a database.
            if state.db is None:
                state.db = router.db_for_write(model, instance=value)
            if value._state.db is None:
                value._state.db = router.db_for_write(type(value), instance=instance)
        elif name in plain:
            data[name] = value
        else:
            raise TypeError(f"{model.__name__}() got an unexpected keyword argument {name!r}")
    for attname, default in defaults:
        if attname not in data:
            data[attname] = default()
    return instance
