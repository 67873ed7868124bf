"""The per-track bookkeeping services share: first seen, last seen, frames seen, gone.

Identity and ANPR both keep state per (camera, track id) that must be created when a track
appears and dropped when the tracker has given it up. :class:`TrackBook` does that once: a
service asks for a track's state each frame it is seen (created on first sight with
``make``) and collects the tracks of a camera unseen for ``gone_after_s``.

Example:
    >>> book = TrackBook(gone_after_s=5.0, make=lambda key: [])
    >>> book.see(("cam", 7), now=0.0).frames
    1
    >>> book.see(("cam", 7), now=1.0).frames
    2
    >>> [key for key, _ in book.gone("cam", now=7.0)]
    [('cam', 7)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

S = TypeVar("S")
TrackKey = tuple[str, int]
"""(camera_id, tracker_id)"""


@dataclass
class Seen(Generic[S]):
    """One track's bookkeeping and the service's own state for it."""

    state: S
    first: float
    last: float
    frames: int = 0


class TrackBook(Generic[S]):
    """Tracks of every camera with a service's state each (not thread-safe: callers lock)."""

    def __init__(self, gone_after_s: float,
                 make: Callable[[TrackKey], S] | None = None) -> None:
        self.gone_after_s = gone_after_s
        self.make = make
        self._seen: dict[TrackKey, Seen[S]] = {}

    def see(self, key: TrackKey, now: float,
            make: Callable[[TrackKey], S] | None = None) -> Seen[S]:
        """The track seen at ``now`` (seconds): created on first sight (by ``make``, else
        the book's), counts the frame.

        Raises:
            TypeError: a new track and neither this call nor the book has a ``make``.
        """
        seen = self._seen.get(key)
        if seen is None:
            maker = make or self.make
            if maker is None:
                raise TypeError(f"track {key}: new, and no make to create its state")
            seen = self._seen[key] = Seen(maker(key), now, now)
        seen.last = now
        seen.frames += 1
        return seen

    def get(self, key: TrackKey) -> Seen[S] | None:
        """The track's entry, if it is known."""
        return self._seen.get(key)

    def gone(self, camera_id: str, now: float) -> list[tuple[TrackKey, S]]:
        """Remove and return the tracks of ``camera_id`` unseen for more than
        ``gone_after_s``."""
        stale = [k for k, s in self._seen.items()
                 if k[0] == camera_id and now - s.last > self.gone_after_s]
        return [(k, self._seen.pop(k).state) for k in stale]

    def clear(self) -> list[tuple[TrackKey, S]]:
        """Remove and return every track (the service is stopping)."""
        out = [(k, s.state) for k, s in self._seen.items()]
        self._seen.clear()
        return out

    def items(self) -> Iterator[tuple[TrackKey, Seen[S]]]:
        """Every known track."""
        return iter(list(self._seen.items()))

    def __len__(self) -> int:
        return len(self._seen)
