"""Signed webhooks to partners (docs/API.md, "Webhooks").

`events.sweep` finds what happened in committed rows (members, ledger entries, tier changes,
campaign awards) every 30 s and writes one `WebhookEvent` per happening (a unique key: a rescan
writes nothing new; `sources` says what each table's rows mean) with one `WebhookDelivery` per
endpoint that receives it; nothing is written on the purchase path. `delivery.deliver` POSTs
one delivery, signed (`signing`), retrying with backoff; `endpoints` holds the endpoint rules
and the staff actions.
"""
