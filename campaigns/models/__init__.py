"""The campaigns app's models: campaigns and their awards, segments of members, and the
triggered messages (triggers, templates, the message log, push subscriptions)."""

from campaigns.models.bulk import BulkItem, BulkOperation
from campaigns.models.campaigns import Award, Campaign, ChallengeProgress, MemberFingerprint
from campaigns.models.messaging import (
    Message,
    MessageTemplate,
    MessagingSettings,
    PushSubscription,
    Trigger,
)
from campaigns.models.metrics import (
    CohortActivity,
    DailyBuyers,
    DailyMetrics,
    ExpiryForecast,
    MetricsDay,
    MetricsMonth,
)
from campaigns.models.reports import MonthlyReportDelivery
from campaigns.models.segments import (
    MemberActivity,
    RfmSettings,
    Segment,
    SegmentCount,
    SegmentMember,
)
from campaigns.models.webhooks import (
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "Award",
    "BulkItem",
    "BulkOperation",
    "Campaign",
    "ChallengeProgress",
    "CohortActivity",
    "DailyBuyers",
    "DailyMetrics",
    "ExpiryForecast",
    "MemberActivity",
    "MemberFingerprint",
    "Message",
    "MessageTemplate",
    "MessagingSettings",
    "MetricsDay",
    "MetricsMonth",
    "MonthlyReportDelivery",
    "PushSubscription",
    "RfmSettings",
    "Segment",
    "SegmentCount",
    "SegmentMember",
    "Trigger",
    "WebhookAttempt",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]

from campaigns.models import history  # noqa: F401 (the audit triggers)
