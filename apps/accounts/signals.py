"""Signals the ground floor sends, so layers above can react without accounts importing them."""

from django.dispatch import Signal

# Sent inside the accepting transaction with `user` and `invitation`.
invitation_accepted = Signal()
