"""The store contract written once in SQL, in five parts over one connection: the event
log, the registries, the caches, the disclosures (decisions, reads, notice deliveries) and
the API tokens. A backend subclasses `SqlStore` and supplies the connection-level hooks
declared in `SqlBase`.
"""

from __future__ import annotations

from socialcredit.storage.sql.base import SqlBase
from socialcredit.storage.sql.caches import Caches
from socialcredit.storage.sql.disclosures import Disclosures
from socialcredit.storage.sql.log import EventLog
from socialcredit.storage.sql.registries import Registries
from socialcredit.storage.sql.tokens import Tokens

__all__ = ["SqlBase", "SqlStore"]


class SqlStore(EventLog, Registries, Caches, Disclosures, Tokens):
    """Every operation of the `Store` contract; a backend adds the hooks of `SqlBase`."""
