"""Timing shared by the tensor-core arrays."""

from __future__ import annotations

__all__ = ["SweepTiming"]


class SweepTiming:
    """Latency and cycle count of a tensor core; the class supplies ``k_step`` and ``dp_class``.

    Arrays whose DP units take pair words spend one more cycle in the
    trim-and-round units before the dot-product units.
    """

    @property
    def front_latency(self) -> int:
        """Cycles in the trim-and-round units (1 where the DP units take words, else 0)."""
        return 1 if self.dp_class.takes_words else 0

    @property
    def latency(self) -> int:
        """Cycles from the ``in_last`` step to ``out_valid``."""
        return self.front_latency + 1

    def steps(self, k: int) -> int:
        """Steps (``in_valid`` cycles) of a sweep over ``k``: ``ceil(k / k_step)``."""
        return -(-k // self.k_step)

    def cycles(self, k: int) -> int:
        """Cycles from the first step of a K-long sweep to its ``out_valid``, no idles."""
        return self.steps(k) - 1 + self.latency
