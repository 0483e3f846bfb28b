"""Interaction kinds the learning app records."""

from apps.interactions.kinds import register

CONTENT_VIEWED = register("learning.content_viewed", "Viewed learning content", category="content")
CONTENT_COMPLETED = register("learning.content_completed", "Completed learning content", category="learning")
LESSON_COMPLETED = register("learning.lesson_completed", "Completed a lesson", category="learning")
COURSE_COMPLETED = register("learning.course_completed", "Completed a course", category="learning")
PATH_ENROLLED = register("learning.path_enrolled", "Enrolled in a learning path", category="learning")
STEP_COMPLETED = register("learning.step_completed", "Completed a path step", category="learning")
PATH_COMPLETED = register("learning.path_completed", "Completed a learning path", category="learning")
SESSION_REGISTERED = register(
    "learning.session_registered", "Registered for a live session", category="learning"
)
SESSION_WAITLISTED = register(
    "learning.session_waitlisted", "Joined a session's waiting list", category="learning"
)
SESSION_PROMOTED = register(
    "learning.session_promoted", "Got a seat from the waiting list", category="learning"
)
SESSION_CANCELLED = register(
    "learning.session_cancelled", "Cancelled a session registration", category="learning"
)
SESSION_ATTENDED = register("learning.session_attended", "Attended a live session", category="learning")
ACTIVE_TIME = register("learning.active_time", "Active learning time", category="activity")

# What "trained" means in METRICS.md: a course or a learning path completed.
TRAINED_KINDS = (COURSE_COMPLETED.name, PATH_COMPLETED.name)
