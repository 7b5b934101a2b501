"""Data: default triggers, their templates (ru, en), the messaging settings row and the staff
roles' permissions on the new models.

One trigger per kind except broadcasts (those the marketer makes), all switched off except the
expiry reminder (3 days ahead) and the welcome message (one step, on the day of joining:
its template does not tell steps apart); each with words for e-mail (subject,
text, simple HTML), SMS and push (title and text) in Russian and English. Marketers add, change
and read triggers, their templates and the settings, and read the message log; analysts read all.
"""

from django.db import migrations

from core import roles

MARKETER = "marketer"
ANALYST = "analyst"
MARKETER_PERMISSIONS = (
    "add_trigger",
    "change_trigger",
    "view_trigger",
    "add_messagetemplate",
    "change_messagetemplate",
    "delete_messagetemplate",
    "view_messagetemplate",
    "add_messagingsettings",
    "change_messagingsettings",
    "view_messagingsettings",
    "view_message",
)
ANALYST_PERMISSIONS = (
    "view_trigger",
    "view_messagetemplate",
    "view_messagingsettings",
    "view_message",
)

PUSH_EMAIL_SMS = ["push", "email", "sms"]
PUSH_EMAIL = ["push", "email"]

# code, kind, topic, enabled, params, channels, name
TRIGGERS = [
    ("expiry", "expiry", "expiry", True, {"days": 3}, PUSH_EMAIL_SMS,
     "Баллы сгорают через 3 дня"),
    ("earned", "earned", "points", False, {}, PUSH_EMAIL,
     "Начислены баллы за покупку"),
    ("reward", "reward", "points", False, {}, PUSH_EMAIL,
     "Баллов хватает на подарок"),
    ("tier-up", "tier_up", "tier", False, {}, PUSH_EMAIL,
     "Новый уровень"),
    ("tier-down", "tier_down", "tier", False, {}, PUSH_EMAIL,
     "Уровень понижен"),
    ("tier-at-risk", "tier_at_risk", "tier", False, {}, PUSH_EMAIL,
     "Уровень под угрозой"),
    ("welcome", "welcome", "offers", True, {"steps": [{"day": 0}]}, PUSH_EMAIL,
     "Добро пожаловать"),
    ("first-purchase", "first_purchase", "points", False, {}, PUSH_EMAIL,
     "Спасибо за первую покупку"),
    ("inactivity-60", "inactivity", "offers", False, {"days": 60}, PUSH_EMAIL_SMS,
     "Нет покупок 60 дней"),
    ("birthday", "birthday", "birthday", False, {"days": 3}, PUSH_EMAIL,
     "Скоро день рождения"),
    ("important-date", "important_date", "birthday", False, {"days": 3}, PUSH_EMAIL,
     "Скоро важная дата"),
    ("avg-check-drop", "avg_check_drop", "offers", False, {}, PUSH_EMAIL,
     "Средний чек снижается"),
]  # fmt: skip

RU_POINTS = '{{ balance }} {{ balance|plural_ru:"балл,балла,баллов" }}'
EN_POINTS = "{{ balance }} point{{ balance|pluralize }}"

# kind → language → (title, the message in one or two sentences)
WORDS = {
    "expiry": {
        "ru": (
            "Баллы скоро сгорят",
            'Через {{ days }} {{ days|plural_ru:"день,дня,дней" }} '
            '{{ points|plural_ru:"сгорит,сгорят,сгорят" }} {{ points }} '
            '{{ points|plural_ru:"балл,балла,баллов" }} — успейте использовать до '
            '{{ expires_on|date:"j E" }}.',
        ),
        "en": (
            "Your points are about to expire",
            "In {{ days }} day{{ days|pluralize }}, {{ points }} point{{ points|pluralize }} "
            'will expire — use them by {{ expires_on|date:"F j" }}.',
        ),
    },
    "earned": {
        "ru": (
            "Баллы начислены",
            "Баллов за покупку: {{ earned }}. Теперь на счёте " + RU_POINTS + ".",
        ),
        "en": (
            "Points earned",
            "You earned {{ earned }} point{{ earned|pluralize }} for your purchase. "
            "Your balance is now " + EN_POINTS + ".",
        ),
    },
    "reward": {
        "ru": (
            "Баллов хватает на подарок",
            "На счёте " + RU_POINTS + " — этого хватает "
            "{% if reward %}на «{{ reward }}»{% else %}на подарок{% endif %}. "
            "Загляните в личный кабинет.",
        ),
        "en": (
            "Enough points for a reward",
            "You have " + EN_POINTS + " — enough for "
            "{% if reward %}{{ reward }}{% else %}a reward{% endif %}. See your account.",
        ),
    },
    "tier_up": {
        "ru": ("Новый уровень", "Поздравляем! Ваш новый уровень — «{{ tier }}»."),
        "en": ("A new tier", "Congratulations! Your new tier is {{ tier }}."),
    },
    "tier_down": {
        "ru": (
            "Уровень изменился",
            "Ваш уровень теперь — «{{ tier }}». Делайте покупки, чтобы вернуть прежние привилегии.",
        ),
        "en": (
            "Your tier has changed",
            "Your tier is now {{ tier }}. Shop with us to win your privileges back.",
        ),
    },
    "tier_at_risk": {
        "ru": (
            "Сохраните свой уровень",
            "Чтобы сохранить уровень «{{ tier }}», совершите покупки ещё на {{ spend_needed }} ₽ "
            'до {{ review_on|date:"j E" }}.',
        ),
        "en": (
            "Keep your tier",
            "To keep your {{ tier }} tier, spend {{ spend_needed }} ₽ more by "
            '{{ review_on|date:"F j" }}.',
        ),
    },
    "welcome": {
        "ru": (
            "Добро пожаловать в {{ program_name }}",
            "Вы в программе {{ program_name }}: копите баллы за покупки и оплачивайте ими "
            "следующие. Номер вашей карты оканчивается на {{ card_last4 }}.",
        ),
        "en": (
            "Welcome to {{ program_name }}",
            "You have joined {{ program_name }}: earn points on purchases and pay with them "
            "next time. Your card number ends in {{ card_last4 }}.",
        ),
    },
    "first_purchase": {
        "ru": (
            "Спасибо за первую покупку",
            "Спасибо за первую покупку! Теперь на вашем счёте " + RU_POINTS + ".",
        ),
        "en": (
            "Thank you for your first purchase",
            "Thank you for your first purchase! You now have " + EN_POINTS + ".",
        ),
    },
    "inactivity": {
        "ru": (
            "Мы скучаем",
            "Давно вас не видели! На вашем счёте " + RU_POINTS + " — ждём вас в гости.",
        ),
        "en": (
            "We miss you",
            "It has been a while! You have " + EN_POINTS + " waiting for you.",
        ),
    },
    "birthday": {
        "ru": (
            "Скоро ваш день рождения",
            'Скоро ваш день рождения — {{ date|date:"j E" }}. Поздравляем заранее и ждём вас!',
        ),
        "en": (
            "Your birthday is coming",
            'Your birthday is on {{ date|date:"F j" }}. Happy birthday in advance — we look '
            "forward to seeing you!",
        ),
    },
    "important_date": {
        "ru": (
            "Скоро важная дата",
            'Скоро важная дата: {{ label }} — {{ date|date:"j E" }}. Мы помним и поздравляем!',
        ),
        "en": (
            "An important date is coming",
            'An important date is coming: {{ label }} on {{ date|date:"F j" }}. Congratulations!',
        ),
    },
    "avg_check_drop": {
        "ru": (
            "Новые предложения для вас",
            "Мы подобрали для вас предложения — загляните в личный кабинет. На счёте "
            + RU_POINTS
            + ".",
        ),
        "en": (
            "New offers for you",
            "We have picked offers for you — have a look in your account. You have "
            + EN_POINTS
            + ".",
        ),
    },
}

FRAME = {
    "ru": {
        "hello": (
            "{% if first_name %}{{ first_name }}, здравствуйте!{% else %}Здравствуйте!{% endif %}"
        ),
        "cabinet": "Личный кабинет",
        "unsubscribe": "Отписаться от таких сообщений",
        "sms_stop": "Отписка",
    },
    "en": {
        "hello": "Hello{% if first_name %}, {{ first_name }}{% endif %}!",
        "cabinet": "Your account",
        "unsubscribe": "Unsubscribe from these messages",
        "sms_stop": "Unsubscribe",
    },
}


def templates_for(kind: str, language: str) -> list[dict]:
    title, line = WORDS[kind][language]
    frame = FRAME[language]
    email_text = (
        f"{frame['hello']}\n\n{line}\n\n"
        f"{frame['cabinet']}: {{{{ cabinet_url }}}}\n"
        f"{frame['unsubscribe']}: {{{{ unsubscribe_url }}}}"
    )
    email_html = (
        f"<p>{frame['hello']}</p>\n<p>{line}</p>\n"
        f'<p><a href="{{{{ cabinet_url }}}}">{frame["cabinet"]}</a></p>\n'
        f'<p><small><a href="{{{{ unsubscribe_url }}}}">{frame["unsubscribe"]}</a></small></p>'
    )
    sms = f"{{{{ program_name }}}}: {line} {frame['sms_stop']}: {{{{ unsubscribe_url }}}}"
    return [
        {"channel": "email", "subject": title, "text": email_text, "html": email_html},
        {"channel": "sms", "subject": "", "text": sms, "html": ""},
        {"channel": "push", "subject": title, "text": line, "html": ""},
    ]


def forwards(apps, schema_editor):
    trigger_model = apps.get_model("campaigns", "Trigger")
    template_model = apps.get_model("campaigns", "MessageTemplate")
    settings_model = apps.get_model("campaigns", "MessagingSettings")
    if not settings_model.objects.exists():
        settings_model.objects.create()
    for code, kind, topic, enabled, params, channels, name in TRIGGERS:
        trigger, created = trigger_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "topic": topic,
                "enabled": enabled,
                "params": params,
                "channels": channels,
            },
        )
        if not created:
            continue
        for language in ("ru", "en"):
            for words in templates_for(kind, language):
                template_model.objects.create(trigger=trigger, language=language, **words)
    grant(apps)


def grant(apps):
    roles.grant(apps, "campaigns", {MARKETER: MARKETER_PERMISSIONS, ANALYST: ANALYST_PERMISSIONS})


def backwards(apps, schema_editor):
    roles.revoke(apps, "campaigns", {MARKETER: MARKETER_PERMISSIONS, ANALYST: ANALYST_PERMISSIONS})
    # The triggers stay: running this migration forward again keeps them (get_or_create by
    # code), and unapplying 0007 drops their tables.


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("campaigns", "0007_messaging"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
