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
