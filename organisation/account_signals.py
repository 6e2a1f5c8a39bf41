"""Signals of the sign-in, for the audit trail (``security.signals``) to listen to."""

from django.dispatch import Signal

# Sent when a failed sign-in locks an account or an address (``ThrottleMixin``): kwargs ``username``, ``address``.
login_locked_out = Signal()
