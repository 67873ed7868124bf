"""Per-track plate voting: many noisy reads of one vehicle become one plate.

Reads are clustered by edit distance (near-identical strings are one cluster); each read
weighs ``confidence * plate_height`` (a larger plate is a better read), and within the
winning cluster the plate is voted character by character among reads of the cluster's most
common length. A plate is decided when the winning cluster holds ``min_votes`` reads and at
least ``min_share`` of the total weight, or when the track ends (best effort). One wrong read
with high confidence cannot win against several agreeing ones.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class Read:
    """One OCR reading of a plate."""

    text: str
    confidence: float
    height_px: float = 20.0

    @property
    def weight(self) -> float:
        """Confidence times plate height (bigger plates read better)."""
        return max(self.confidence, 0.0) * max(self.height_px, 1.0)


@dataclass
class Decision:
    """The voted plate, its confidence (weight share x mean confidence) and support."""

    plate: str
    confidence: float
    votes: int
    final: bool


@dataclass
class PlateVote:
    """The reads of one vehicle track."""

    min_votes: int = 3
    min_share: float = 0.6
    cluster_distance: int = 1
    reads: list[Read] = field(default_factory=list)

    def add(self, read: Read) -> Decision | None:
        """Add a read; return the decision once the vote is confident."""
        if read.text:
            self.reads.append(read)
        d = self.best()
        if d is not None and d.votes >= self.min_votes and d.confidence >= 0:
            share = self._share(d.plate)
            if share >= self.min_share:
                d.final = True
                return d
        return None

    def best(self) -> Decision | None:
        """The current leader (not necessarily confident), or None without reads."""
        if not self.reads:
            return None
        clusters: list[list[Read]] = []
        for r in sorted(self.reads, key=lambda r: -r.weight):
            for c in clusters:
                if edit_distance(c[0].text, r.text) <= self.cluster_distance:
                    c.append(r)
                    break
            else:
                clusters.append([r])
        top = max(clusters, key=lambda c: sum(r.weight for r in c))
        plate = _vote_characters(top)
        mean_conf = sum(r.confidence for r in top) / len(top)
        total = sum(r.weight for r in self.reads)
        share = sum(r.weight for r in top) / total if total else 0.0
        return Decision(plate, round(share * mean_conf, 4), len(top), False)

    def _share(self, plate: str) -> float:
        total = sum(r.weight for r in self.reads)
        near = sum(r.weight for r in self.reads
                   if edit_distance(r.text, plate) <= self.cluster_distance)
        return near / total if total else 0.0


def _vote_characters(cluster: list[Read]) -> str:
    length = Counter(len(r.text) for r in cluster).most_common(1)[0][0]
    same = [r for r in cluster if len(r.text) == length]
    out = []
    for i in range(length):
        score: dict[str, float] = defaultdict(float)
        for r in same:
            score[r.text[i]] += r.weight
        out.append(max(score, key=lambda ch: score[ch]))
    return "".join(out)
