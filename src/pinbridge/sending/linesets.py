"""A set of line numbers kept as sorted, merged ranges: small however long the file."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

__all__ = ["LineSet"]


class LineSet:
    """Line numbers (1-based) stored as disjoint inclusive ``(first, last)`` ranges.

    Lines are mostly added in increasing order, so adding is usually an append or an
    extension of the last range; any order works.
    """

    __slots__ = ("_firsts", "_lasts")

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()) -> None:
        self._firsts: list[int] = []
        self._lasts: list[int] = []
        for first, last in ranges:
            self.add(first, last)

    def add(self, first: int, last: int) -> None:
        """Add every line from ``first`` to ``last`` inclusive."""
        if first > last:
            raise ValueError(f"empty line range {first}..{last}")
        if self._lasts and first > self._lasts[-1] + 1:
            self._firsts.append(first)
            self._lasts.append(last)
            return
        # Ranges that overlap or touch [first, last] are merged into one.
        low = bisect.bisect_left(self._lasts, first - 1)
        high = bisect.bisect_right(self._firsts, last + 1)
        if low < high:
            first = min(first, self._firsts[low])
            last = max(last, self._lasts[high - 1])
        self._firsts[low:high] = [first]
        self._lasts[low:high] = [last]

    def __contains__(self, line: object) -> bool:
        if not isinstance(line, int):
            return False
        index = bisect.bisect_right(self._firsts, line) - 1
        return index >= 0 and line <= self._lasts[index]

    def ranges(self) -> list[tuple[int, int]]:
        """The ranges, in order."""
        return list(zip(self._firsts, self._lasts, strict=True))

    def __len__(self) -> int:
        return sum(last - first + 1 for first, last in zip(self._firsts, self._lasts, strict=True))

    def __repr__(self) -> str:
        return f"LineSet({self.ranges()!r})"
