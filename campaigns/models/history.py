"""The audit history of campaigns, triggers (with their message templates), messaging
settings, RFM thresholds and segment definitions (see loyalty/models/history.py).

Left out, because they are bookkeeping written by purchases and beat jobs: a campaign's budget
and uses counters (every purchase under a limited campaign updates them), a trigger's last run,
a segment's size and time of computation, the recomputation's own state.
"""

from campaigns.models.campaigns import Campaign
from campaigns.models.messaging import MessageTemplate, MessagingSettings, Trigger
from campaigns.models.segments import RfmSettings, Segment
from loyalty.models.history import track_settings

track_settings(
    Campaign,
    exclude=("spent_points", "uses", "created_at", "updated_at"),
    model_name="CampaignEvent",
)
track_settings(
    Trigger, exclude=("last_run_at", "created_at", "updated_at"), model_name="TriggerEvent"
)
track_settings(MessageTemplate, model_name="MessageTemplateEvent")
track_settings(MessagingSettings, exclude=("updated_at",), model_name="MessagingSettingsEvent")
track_settings(
    RfmSettings,
    exclude=("updated_at", "recomputed_at", "recomputed_with", "recompute_started_at"),
    model_name="RfmSettingsEvent",
)
track_settings(
    Segment,
    exclude=("member_count", "computed_at", "created_at", "updated_at"),
    model_name="SegmentEvent",
)
