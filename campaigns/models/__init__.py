"""The campaigns app's models: campaigns and their awards, segments of members, and the
triggered messages (triggers, templates, the message log, push subscriptions)."""

from campaigns.models.campaigns import Award, Campaign, ChallengeProgress, MemberFingerprint
from campaigns.models.messaging import (
    Message,
    MessageTemplate,
    MessagingSettings,
    PushSubscription,
    Trigger,
)
from campaigns.models.segments import (
    MemberActivity,
    RfmSettings,
    Segment,
    SegmentCount,
    SegmentMember,
)

__all__ = [
    "Award",
    "Campaign",
    "ChallengeProgress",
    "MemberActivity",
    "MemberFingerprint",
    "Message",
    "MessageTemplate",
    "MessagingSettings",
    "PushSubscription",
    "RfmSettings",
    "Segment",
    "SegmentCount",
    "SegmentMember",
    "Trigger",
]
