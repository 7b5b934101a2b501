"""Bulk operations: one award or deduction of points for many members (a segment or an uploaded
list), run in the background, and its undo. The rules: campaigns/bulk.py."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loyalty.models.ledger import MEMBER_TEXT_LENGTH


class BulkOperation(models.Model):
    """Give or take the same number of points to every member of a target. Its members are
    fixed when it is submitted (one `BulkItem` each); the counters move as chunks commit."""

    class Kind(models.TextChoices):
        AWARD = "award", _("award points")
        DEDUCT = "deduct", _("deduct points")

    class WhenShort(models.TextChoices):
        PARTIAL = "partial", _("deduct what the member has")
        SKIP = "skip", _("skip the member")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        AWAITING_APPROVAL = "awaiting_approval", _("waiting for approval")
        REJECTED = "rejected", _("rejected")
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    class UndoStatus(models.TextChoices):
        NONE = "", _("not undone")
        QUEUED = "queued", _("undo queued")
        RUNNING = "running", _("undoing")
        DONE = "done", _("undone")

    kind = models.CharField(_("operation"), max_length=10, choices=Kind.choices)
    points = models.PositiveIntegerField(_("points per member"))
    reason = models.CharField(_("reason"), max_length=450)  # staff-only
    member_text = models.CharField(
        _("text for the member"), max_length=MEMBER_TEXT_LENGTH, blank=True, default=""
    )
    when_short = models.CharField(
        _("a member with fewer points than deducted"),
        max_length=10,
        choices=WhenShort.choices,
        default=WhenShort.PARTIAL,
    )
    segment = models.ForeignKey(
        "campaigns.Segment",
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    list_name = models.CharField(_("uploaded list"), max_length=200, blank=True, default="")
    list_member_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("members of the list"), default=list, blank=True
    )
    list_rows = models.PositiveIntegerField(_("rows in the list"), default=0)
    list_not_found = models.JSONField(
        _("rows that name nobody"), default=list, blank=True
    )  # [line, text] pairs, at most segment_lists.MAX_REPORTED
    list_not_found_count = models.PositiveIntegerField(_("rows that name nobody"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    requested_points = models.BigIntegerField(
        _("points in total (at submission)"), null=True, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True, default="")
    total = models.PositiveIntegerField(_("members"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    applied = models.PositiveIntegerField(_("points moved for"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    points_moved = models.BigIntegerField(_("points moved"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    undo_status = models.CharField(
        _("undo"), max_length=10, choices=UndoStatus.choices, default="", blank=True
    )
    undo_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    undo_requested_at = models.DateTimeField(_("undo asked at"), null=True, blank=True)
    undo_processed = models.PositiveIntegerField(_("undo processed"), default=0)
    undo_points = models.BigIntegerField(_("points reversed"), default=0)
    undo_shortfall = models.BigIntegerField(_("points not reversed (already spent)"), default=0)
    undo_finished_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk operation")
        verbose_name_plural = _("bulk operations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="bulk_points_positive"),
            models.CheckConstraint(
                condition=Q(segment__isnull=True) | Q(list_member_ids=[]),
                name="bulk_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.points}"

    @property
    def signed_points(self) -> int:
        return self.points if self.kind == self.Kind.AWARD else -self.points

    @property
    def entry_reason(self) -> str:
        """The reason every ledger entry of the operation carries."""
        return f"{self.reason} (bulk #{self.pk})"

    @property
    def undo_reason(self) -> str:
        """The reason of the entries that reverse the operation."""
        return f"{self.reason} (undo of bulk #{self.pk})"


class BulkItem(models.Model):
    """One member of a bulk operation: what was moved for them (or why they were skipped), the
    ledger entries that moved it, and its undo."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("done")
        SKIPPED = "skipped", _("skipped")

    operation = models.ForeignKey(
        BulkOperation,
        verbose_name=_("bulk operation"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    member = models.ForeignKey(
        "customers.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    skip_reason = models.CharField(_("skipped because"), max_length=20, blank=True, default="")
    points = models.IntegerField(_("points moved"), default=0)
    entry_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("ledger entries"), default=list, blank=True
    )
    undone = models.BooleanField(_("undone"), default=False)
    undo_points = models.IntegerField(_("points reversed"), default=0)
    undo_shortfall = models.IntegerField(_("not reversed (already spent)"), default=0)
    undo_entry_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("undo ledger entries"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("member of a bulk operation")
        verbose_name_plural = _("members of bulk operations")
        constraints = [
            models.UniqueConstraint(fields=["operation", "member"], name="bulk_item_once"),
        ]
        indexes = [
            models.Index(
                fields=["operation", "member"],
                condition=Q(status="pending"),
                name="bulk_item_pending",
            ),
            models.Index(
                fields=["operation", "member"],
                condition=Q(status="done", undone=False),
                name="bulk_item_to_undo",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.operation_id}/{self.member_id}: {self.points:+d}"
