"""Interaction kinds the community app records."""

from apps.interactions.kinds import register

IDEA_SUBMITTED = register("community.idea_submitted", "Submitted a product idea", category="ideas")
IDEA_VIEWED = register("community.idea_viewed", "Viewed a product idea", category="content")
VOTE_CAST = register("community.vote_cast", "Voted for an idea", category="ideas")
VOTE_WITHDRAWN = register("community.vote_withdrawn", "Withdrew a vote", category="ideas")
COMMENT_POSTED = register("community.comment_posted", "Commented on an idea", category="community")
QUESTION_ASKED = register("community.question_asked", "Asked a question", category="community")
QUESTION_VIEWED = register("community.question_viewed", "Viewed a question", category="content")
ANSWER_POSTED = register("community.answer_posted", "Answered a question", category="community")
ANSWER_ACCEPTED = register("community.answer_accepted", "Had an answer accepted", category="community")
