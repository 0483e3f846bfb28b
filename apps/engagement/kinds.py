"""Interaction kinds of one-to-one engagement: what a CS manager logs when a task is done, so 1:1
work sits in the same log as the 1:many interactions and reports can compare the two."""

from apps.interactions.kinds import register

CALL = register("engagement.call", "Call with the CS manager", category="one_to_one")
MEETING = register("engagement.meeting", "Meeting with the CS manager", category="one_to_one")
QBR = register("engagement.qbr", "Business review (QBR)", category="one_to_one")
EMAIL = register("engagement.email", "E-mail from the CS manager", category="one_to_one")
MESSAGE = register("engagement.message", "Received an automated success message", category="one_to_many")
BY_CHANNEL = {"call": CALL, "meeting": MEETING, "qbr": QBR, "email": EMAIL}
