"""Signals core sends, for parts of core that react to them (the API's webhooks).

`flattr_created` is sent after the commit of every flattr made with `flattr_add`, with
`flattr=` (its thing and donor loaded).
"""

from django.dispatch import Signal

flattr_created = Signal()
