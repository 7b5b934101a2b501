"""The default program: what a fresh installation starts with (every number editable in admin)."""

from decimal import Decimal

DEFAULT_TIERS = [
    {
        "code": "base",
        "name": "Базовый",
        "name_en": "Base",
        "order": 1,
        "min_spend": Decimal("0"),
        "rubles_per_point": Decimal("50"),
        "privileges": "1 балл за каждые 50 ₽\nДо 30 % чека баллами",
        "privileges_en": "1 point for every 50 ₽\nUp to 30 % of a check paid with points",
    },
    {
        "code": "silver",
        "name": "Серебряный",
        "name_en": "Silver",
        "order": 2,
        "min_spend": Decimal("10000"),
        "rubles_per_point": Decimal("40"),
        "privileges": "1 балл за каждые 40 ₽\nРанний доступ к распродажам",
        "privileges_en": "1 point for every 40 ₽\nEarly access to sales",
    },
    {
        "code": "gold",
        "name": "Золотой",
        "name_en": "Gold",
        "order": 3,
        "min_spend": Decimal("30000"),
        "rubles_per_point": Decimal("30"),
        "privileges": (
            "1 балл за каждые 30 ₽\nРанний доступ к распродажам\n"
            "Приоритетное обслуживание\nПриглашения на закрытые мероприятия"
        ),
        "privileges_en": (
            "1 point for every 30 ₽\nEarly access to sales\n"
            "Priority service\nInvitations to private events"
        ),
    },
]

# The rules' free text: no numbers in it. The cabinet's rules page shows the numbers (point
# value, share of a check, lifetime, delay, tiers, grace period) from the settings above it.
DEFAULT_RULES_TEXT = """\
Баллы начисляются за каждую покупку по ставке вашего уровня и округляются вниз до \
целого балла. Баллами можно оплатить часть чека — не больше доли, указанной выше. Баллы действуют \
указанный выше срок с даты начисления, до конца этого дня.

В сумму покупок для уровня входят деньги, уплаченные за указанный выше период (часть чека, \
оплаченная баллами, не входит), за вычетом возвратов. Новый уровень присваивается сразу, как \
только сумма покупок достигает порога: баллы за эту покупку начисляются по прежней ставке, за \
следующую — по новой.

Уровень понижается только при ежедневном пересмотре. Если сумма покупок стала ниже порога вашего \
уровня, уровень сохраняется на льготный период; если за это время сумма не вернулась к порогу, \
уровень снижается на одну ступень, и каждая следующая ступень — не раньше чем через такой же \
период. Возврат сам по себе уровень не понижает: он уменьшает сумму покупок, которую учитывает \
следующий пересмотр. Уровень, закреплённый за вами программой, не понижается."""

DEFAULT_RULES_TEXT_EN = """\
Points are earned on every purchase at your tier's rate and rounded down to a \
whole point. Points can pay for part of a check, up to the share shown above. Points live for the \
time shown above from the day they were earned, to the end of that day.

Your spend for tiers is the money you paid over the period shown above (not the part paid with \
points), less refunds. A new tier is given at once when your spend reaches the threshold: the \
points of that purchase are earned at the old rate, the next purchase at the new one.

A tier is lowered only at the daily review. If your spend falls below your tier's threshold, you \
keep the tier for a grace period; if the spend has not come back by then, the tier goes one step \
down, and each further step waits another grace period. A refund never lowers the tier by itself: \
it reduces the spend the next review counts. A tier the program has fixed for you is never \
lowered."""

DEFAULT_CONSENT_TEXT = (
    "Я даю согласие на обработку моих персональных данных (телефон, имя, история покупок) "
    "для участия в программе лояльности в соответствии с 152-ФЗ."
)


def ensure_defaults(program_model, tier_model) -> None:
    """Create the program row and the default tiers if missing (used by migrations too)."""
    program_model.objects.get_or_create(
        pk=1,
        defaults={
            "rules_text": DEFAULT_RULES_TEXT,
            "rules_text_en": DEFAULT_RULES_TEXT_EN,
            "join_consent_text": DEFAULT_CONSENT_TEXT,
        },
    )
    if not tier_model.objects.exists():
        tier_model.objects.bulk_create(tier_model(**data) for data in DEFAULT_TIERS)
