"""History imports: a shop moving to Kopilka brings its members, purchases and balances."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportFileStorage(FileSystemStorage):
    """Uploaded history files, kept on the machine's disk (HISTORY_IMPORT_DIR) where the worker
    reads them."""

    @property
    def base_location(self):
        return str(settings.HISTORY_IMPORT_DIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


_storage = ImportFileStorage()


def import_storage() -> ImportFileStorage:
    return _storage


class HistoryImport(models.Model):
    """One upload of one kind of history file, processed by a background job in chunks; a dry
    run checks every row and writes nothing."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("members")
        PURCHASES = "purchases", _("purchases")
        BALANCES = "balances", _("opening balances")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), storage=import_storage, upload_to="history/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255, blank=True, default="")
    dry_run = models.BooleanField(_("dry run"), default=True)
    partner = models.ForeignKey(
        "loyalty.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For purchase rows that name no partner."),
    )
    checked_by = models.ForeignKey(
        "self",
        verbose_name=_("dry run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
        help_text=_("The dry run of the same file this import followed."),
    )
    language = models.CharField(_("language"), max_length=10, default="ru")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_processed = models.PositiveIntegerField(_("rows processed"), default=0)
    rows_imported = models.PositiveIntegerField(_("imported"), default=0)
    rows_skipped = models.PositiveIntegerField(_("already imported"), default=0)
    rows_failed = models.PositiveIntegerField(_("rows with errors"), default=0)
    failure = models.TextField(_("why the job stopped"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("history import")
        verbose_name_plural = _("history imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}: {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def is_clean_dry_run(self) -> bool:
        """A finished dry run that found no row errors: ready to run for real."""
        return (
            self.dry_run
            and self.status == self.Status.DONE
            and self.rows_failed == 0
            and not self.failure
        )

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.is_finished else 0
        return min(100, self.rows_processed * 100 // self.rows_total)


class HistoryImportProblem(models.Model):
    """One line of an import's report: a row that failed (with the column and why) or that was
    skipped because it was already imported."""

    job = models.ForeignKey(HistoryImport, on_delete=models.CASCADE, related_name="problems")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True, default="")
    message = models.CharField(_("message"), max_length=500)
    skipped = models.BooleanField(_("already imported"), default=False)

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["job", "row", "id"]
        indexes = [models.Index(fields=["job", "skipped", "row"], name="history_problem_by_job")]

    def __str__(self) -> str:
        return f"{self.row}: {self.column}: {self.message}"
