"""The pair-word reference against the golden model's 65,536-entry table.

The reference's pair word (SPARQ.md sections 3, 4, 6, written in
``formal.reference``) is evaluated for every activation pair ``(x0, x1)`` at
once (bit-parallel, on the AIG Yosys made of the reference) and compared with
``golden.sparq.encode``: an exhaustive check, so the two independent
definitions agree everywhere.  The TRU is then proved equal to that reference.
"""

from __future__ import annotations

import numpy as np

from formal.aig import Aig
from golden.sparq import Config, encode

__all__ = ["check_word_table", "golden_words"]

_PAIRS = 1 << 16


def golden_words(cfg: Config) -> np.ndarray:
    """``encode`` of every pair, indexed by ``x0 | x1 << 8`` (the TRU's ``in_pair``)."""
    i = np.arange(_PAIRS, dtype=np.int64)
    return encode(np.stack([i & 0xFF, i >> 8], axis=-1), cfg)[:, 0].astype(np.int64)


def _lanes(values: np.ndarray, width: int) -> np.ndarray:
    """Bit ``b`` of ``values[i]`` at lane ``i``: ``(width, len // 64)`` uint64."""
    bits = ((values[None, :] >> np.arange(width)[:, None]) & 1).astype(np.uint8)
    return np.packbits(bits, axis=1, bitorder="little").view("<u8").astype(np.uint64)


def _unlanes(words: np.ndarray) -> np.ndarray:
    width = words.shape[0]
    bits = np.unpackbits(words.astype("<u8").view(np.uint8), axis=1, bitorder="little")
    return (bits.astype(np.int64) << np.arange(width)[:, None]).sum(axis=0)


def check_word_table(aig: Aig, cfg: Config, pair_port: str = "in_pair",
                     word_port: str = "out_word.d") -> str | None:
    """``None`` if the AIG's next word equals the golden table for all 65,536 pairs.

    Otherwise a description of the first mismatch.  ``rst`` and every other input
    are 0; the present state does not enter the next word.
    """
    pairs = np.arange(_PAIRS, dtype=np.int64)
    values = {pair_port: _lanes(pairs, 16)}
    words = _PAIRS // 64
    out = aig.evaluate(values, words)
    if word_port not in out:
        return f"the AIG has no output {word_port}; outputs: {sorted(out)}"
    got = _unlanes(out[word_port])
    want = golden_words(cfg)
    bad = np.flatnonzero(got != want)
    if bad.size == 0:
        return None
    i = int(bad[0])
    return (f"{bad.size} of 65536 pairs differ from golden.sparq.encode ({cfg.name}); first: "
            f"x0={i & 0xFF}, x1={i >> 8}: reference word {int(got[i]):#x}, golden "
            f"{int(want[i]):#x}")
