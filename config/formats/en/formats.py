"""English date formats where Django's differ from ours; the rest are Django's."""

# A moment in the back-office's lists and pages: "07 Dec 2026 14:49", compact enough for a
# 1440 px screen (Django's "Dec. 7, 2026, 2:49 p.m."). Pages for members name their formats.
DATETIME_FORMAT = "d M Y H:i"
