"""Signals the roster sends, so other apps can follow it without people depending on them."""

from django.dispatch import Signal

# Sent after a transaction-bound change of who is active in which units, with ``unit_ids``: the
# units whose active headcount may have changed. The health app refreshes today's expected counts.
roster_changed = Signal()
