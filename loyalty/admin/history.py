"""The admin's side of the audit history: who made a change, and the history pages.

`AuditHistoryMixin` (for the admins of tracked models, loyalty/models/history.py) does two
things. Every admin page of the model that may write (any request but GET/HEAD/OPTIONS: the
form, the list's inline edits, actions, deletes, the model's own pages such as an import) runs
inside pghistory's context (`audit_context`: user, url), so the changes it makes are recorded
with the staff user. Only the admin pays for that: the API, the desk and the cabinet run no
context, and a change made by a command or a beat job is recorded without a user ("system").
And the object's History page lists the recorded changes field by field (before → after) next
to the admin's own log messages, newest first, to anyone who may view the object (analysts too).

`AdjustmentHistoryMixin` gives a points account a History page of its manual adjustments.

Why not `pghistory.context()` itself: it prefixes every statement of the block with
`SELECT set_config(…);`, and the ledger store's prepared statements (config/db.py, server-side
binding) refuse two commands in one statement — an admin page that saved a setting and moved
points would fail. `audit_context` sets the same two settings pghistory's triggers read
(`pghistory.context_id`, `pghistory.context_metadata`) once for the connection's session, and
clears them when the request ends.
"""

import functools
import json
import uuid
from contextlib import contextmanager

from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection
from django.template.response import TemplateResponse
from django.urls import URLPattern
from django.utils.text import capfirst
from django.utils.translation import gettext

from customers.staff_access import can_see_personal_data
from loyalty.audit_history import manual_adjustments, object_history
from loyalty.store.audit import set_audit_context

PAGE_SIZE = 50
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@contextmanager
def audit_context(*, user_id: int | None, url: str):
    """Changes of tracked rows made inside the block are recorded as made by `user_id` at
    `url` (pghistory's context, read by its triggers). Set for the whole database session, so
    every statement sees it however it is sent; cleared on leaving, and a connection that
    cannot be cleared is closed, so the next request never inherits it."""
    metadata = json.dumps({"user": user_id, "url": url}, cls=DjangoJSONEncoder)
    set_audit_context(str(uuid.uuid4()), metadata)
    try:
        yield
    finally:
        try:
            set_audit_context("", "")
        except DatabaseError:
            connection.close()
            raise


def audited_view(view):
    """`view`, with the changes of a writing request recorded as made by its staff user."""

    @functools.wraps(view)
    def audited(request, *args, **kwargs):
        if request.method in READ_ONLY_METHODS:
            return view(request, *args, **kwargs)
        with audit_context(user_id=request.user.pk, url=request.path):
            return view(request, *args, **kwargs)

    return audited


class _HistoryPage:
    def _history_page(self, request, obj, rows, *, label: str, template: str, extra_context):
        paginator = self.get_paginator(request, rows, PAGE_SIZE)
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Change history: %s") % label,
            "subtitle": None,
            "object_label": label,
            "rows": page,
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.num_pages > 1,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, template, context)

    def _history_object(self, request, object_id):
        """The object, or a redirect when it is gone; PermissionDenied to who may not view it."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return None, self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj, None


class AuditHistoryMixin(_HistoryPage):
    """For the ModelAdmin of a tracked model (put it first among the bases)."""

    # Related tracked models shown on the page: model → (its foreign key to this object, the
    # fields that name one of its rows), e.g. a trigger's templates.
    history_children: dict = {}

    @property
    def urls(self):
        return [
            URLPattern(p.pattern, audited_view(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in self.get_urls()
        ]

    def history_view(self, request, object_id, extra_context=None):
        obj, gone = self._history_object(request, object_id)
        if gone is not None:
            return gone
        rows = object_history(obj, children=self.history_children)
        return self._history_page(
            request,
            obj,
            rows,
            label=str(obj),
            template="admin/audit_history.html",
            extra_context=extra_context,
        )


class AdjustmentHistoryMixin(_HistoryPage):
    """A points account's History page: its manual adjustments with the balance before and
    after, who asked and who approved. Staff who may not see personal data see the member as
    a number."""

    def history_view(self, request, object_id, extra_context=None):
        account, gone = self._history_object(request, object_id)
        if gone is not None:
            return gone
        label = str(account) if can_see_personal_data(request.user) else f"#{account.pk}"
        return self._history_page(
            request,
            account,
            manual_adjustments(account),
            label=label,
            template="admin/loyalty/account/adjustment_history.html",
            extra_context=extra_context,
        )
