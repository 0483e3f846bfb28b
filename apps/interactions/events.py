"""Signals of the interaction log, for layers above it."""

from django.dispatch import Signal

# Sent by record() inside the recording transaction with `interaction`. Receivers (incentive
# points, engagement triggers) must be cheap and must not record the same kind again.
interaction_recorded = Signal()
