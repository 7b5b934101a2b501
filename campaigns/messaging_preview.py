"""The trigger preview: a saved template of a trigger rendered for a real member, with example
occasion variables — nothing is saved or sent."""

from campaigns import templating
from campaigns.models import Trigger

Kind = Trigger.Kind

# What a preview feeds a template as the occasion's own variables, per kind (editable on the
# preview form); the names are those the finders give (docs/MESSAGING.md).
SAMPLE_OCCASIONS: dict[str, dict] = {
    Kind.EXPIRY: {"points": 250, "days": 3, "expires_on": "2027-05-18"},
    Kind.EARNED: {"earned": 120, "purchase_total": "1490.00"},
    Kind.REWARD: {"reward": "Кофе в подарок", "reward_points": 500},
    Kind.TIER_UP: {
        "old_tier": "Базовый",
        "old_tier_en": "Basic",
        "new_tier": "Серебро",
        "new_tier_en": "Silver",
    },
    Kind.TIER_DOWN: {
        "old_tier": "Серебро",
        "old_tier_en": "Silver",
        "new_tier": "Базовый",
        "new_tier_en": "Basic",
    },
    Kind.TIER_AT_RISK: {
        "review_on": "2027-06-01",
        "spend_needed": "2500.00",
        "new_tier": "Базовый",
        "new_tier_en": "Basic",
    },
    Kind.WELCOME: {"step": 1, "day": 0},
    Kind.FIRST_PURCHASE: {"earned": 75, "purchase_total": "750.00"},
    Kind.INACTIVITY: {"days": 60, "last_purchase_on": "2027-03-19", "bonus_points": 100},
    Kind.BIRTHDAY: {"days": 3, "date": "2027-05-21"},
    Kind.IMPORTANT_DATE: {
        "label": "Годовщина свадьбы",
        "date": "2027-05-21",
        "days": 3,
        "years": 5,
    },
    Kind.AVG_CHECK_DROP: {
        "recent_average": "800.00",
        "previous_average": "1200.00",
        "drop_percent": 33,
    },
    Kind.BROADCAST: {},
}


def render_preview(*, trigger: Trigger, member, channel: str, language: str, variables):
    """The message `member` would get from `trigger` through `channel`: the template for the
    language (else Russian) rendered with the member's variables and the occasion's.
    (None, None) when the trigger has no template for the channel."""
    templates = templating.templates_of(trigger)
    template = templating.template_for(templates, channel, language or member.language)
    if template is None:
        return None, None
    values = templating.variables_for(
        templating.recipients([member.pk], active_only=False)[member.pk],
        variables,
        channel=channel,
        topic=trigger.topic,
    )
    return template, templating.render(template, values)
