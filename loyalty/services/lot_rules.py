"""The rules that settle a lot, written once: burning at expiry and activation after the delay.

A purchase or a refund settles the lots it reads (`LedgerTransaction`), the beat jobs settle
every due lot in batches (`schedules`): both apply these functions and write what they return.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Move:
    """What settling one lot does: the change of the account's available and pending points,
    and the entry it leaves (its points and its pending change)."""

    available: int
    pending: int
    points: int
    pending_change: int


def burn(remaining: int, is_pending: bool) -> Move:
    """A lot past its expiry loses what it has left: from pending points if it never became
    available, else from available points."""
    if is_pending:
        return Move(available=0, pending=-remaining, points=-remaining, pending_change=-remaining)
    return Move(available=-remaining, pending=0, points=-remaining, pending_change=0)


def activate(remaining: int) -> Move | None:
    """A pending lot past its delay becomes available with what it has left; a lot with
    nothing left leaves no entry (None)."""
    if remaining == 0:
        return None
    return Move(available=remaining, pending=-remaining, points=0, pending_change=-remaining)
