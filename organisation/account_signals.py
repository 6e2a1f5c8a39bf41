"""Signals of the sign-in, for the audit trail (``security.signals``) to listen to."""

from django.dispatch import Signal

# Sent when a failed sign-in locks an account or an address (``ThrottleMixin``): kwargs ``username``, ``address``.
login_locked_out = Signal()

# Sent for every sign-in tried while the account or the address is locked (refused before the password is read):
# kwargs ``username``, ``address``.
login_refused_locked = Signal()

# Sent when ``is_staff`` follows a change of roles (``roles.staff_flag_sync``, a queryset update that sends no
# save signal): kwargs ``granted`` and ``revoked``, lists of user ids.
staff_flag_changed = Signal()
