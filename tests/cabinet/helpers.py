import re
from pathlib import Path


def code_from_outbox(outbox: Path, phone: str) -> str:
    """The code in the newest SMS file sent to `phone`."""
    files = sorted(
        (p for p in outbox.glob("sms-*.txt") if p.read_text().startswith(f"To: {phone}\n")),
        key=lambda p: p.name,
    )
    assert files, f"no SMS to {phone} in {outbox}"
    return re.search(r"\b(\d{6})\b", files[-1].read_text(encoding="utf-8")).group(1)
