from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class FaqEntry(models.Model):
    """A question and answer on the cabinet's FAQ page, edited by marketers in admin."""

    question = models.CharField(_("question (Russian)"), max_length=300)
    answer = models.TextField(_("answer (Russian)"))
    question_en = models.CharField(_("question (English)"), max_length=300, blank=True, default="")
    answer_en = models.TextField(_("answer (English)"), blank=True, default="")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.question

    @property
    def localized_question(self) -> str:
        return self.question_en if get_language() == "en" and self.question_en else self.question

    @property
    def localized_answer(self) -> str:
        return self.answer_en if get_language() == "en" and self.answer_en else self.answer


class DeskActivity(models.Model):
    """What a cashier did at the desk: every lookup, enrolment, purchase and refund."""

    class Action(models.TextChoices):
        LOOKUP = "lookup", _("lookup")
        ENROLL = "enroll", _("enrolment")
        PURCHASE = "purchase", _("purchase")
        REFUND = "refund", _("refund")
        DENIED = "denied", _("refused (rate limit)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashier"),
        on_delete=models.PROTECT,
        related_name="desk_activity",
    )
    store = models.ForeignKey(
        "loyalty.Store",
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    query = models.CharField(_("query (masked)"), max_length=100, blank=True, default="")
    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    purchase = models.ForeignKey(
        "loyalty.Purchase", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("desk activity")
        verbose_name_plural = _("desk activity")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "action", "created_at"])]
