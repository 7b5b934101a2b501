"""Russian date formats where Django's differ from ours; the rest are Django's.

A day of a month reads in the genitive ("7 декабря"), as in the admin's date hierarchy.
"""

MONTH_DAY_FORMAT = "j E"

# A moment in the back-office's lists and pages: "07.12.2026 14:49", compact enough for a
# 1440 px screen (Django's "7 декабря 2026 г. 14:49"). Pages for members name their formats.
DATETIME_FORMAT = "d.m.Y H:i"
