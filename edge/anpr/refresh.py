"""Live allow/deny lists: the running ANPR service follows the ``plate_lists`` table.

``edge plates allow|deny|remove`` and the console write the table (:mod:`edge.anpr.lists`);
the daemon's control poller calls :meth:`PlateListRefresher.check` every second, which
swaps the service's :class:`~edge.anpr.lists.PlateLists` in one assignment when the table
changed. Plates decided before the change keep their status; later decisions use the new
lists.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

from edge.anpr.lists import lists_from
from edge.store.queries import StoreReader

if TYPE_CHECKING:
    from edge.anpr.service import AnprService

log = logging.getLogger(__name__)


class PlateListRefresher:
    """Re-reads ``plate_lists`` when asked and gives ``service`` new lists on a change.

    It has no thread of its own: :class:`edge.pipeline.control.ControlPoller` calls
    :meth:`check`.

    Args:
        service: the running ANPR service (its ``cfg`` adds the config's own lists).
        reader: read-only queries on the daemon's database.
    """

    def __init__(self, service: AnprService, reader: StoreReader) -> None:
        self.service = service
        self.reader = reader
        self._seen: tuple[tuple[str, str], ...] | None = None
        self._failing = False

    def check(self) -> bool:
        """Read the table; swap the service's lists when it changed since the last check.

        The first check always swaps (the service's lists were read at its start, perhaps
        before a change). A read error is logged and the lists in force are kept.

        Returns:
            True when the service got new lists.
        """
        try:
            rows = self.reader.plate_lists()
        except (sqlite3.Error, OSError) as exc:
            if not self._failing:
                log.warning("cannot read plate_lists (%s); keeping the lists in force", exc)
            self._failing = True
            return False
        if self._failing:
            log.info("plate_lists readable again")
            self._failing = False
        seen = tuple((str(r["plate"]), str(r["list"])) for r in rows)
        if seen == self._seen:
            return False
        lists = lists_from(self.service.cfg, rows)
        self.service.lists = lists  # one assignment: workers see old or new lists, never half
        if self._seen is not None:
            log.info("plate lists changed: %d allowed, %d denied (config and store)",
                     len(lists.allow), len(lists.deny))
        self._seen = seen
        return True
