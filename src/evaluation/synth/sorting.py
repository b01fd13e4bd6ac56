"""``np.lexsort`` of integer keys as one stable argsort of the keys packed into an int64.

Sorting two million offences by five keys took the generator most of a second; packed, the
keys sort in about a tenth of that, in exactly the same order (both sorts are stable, so ties
keep their input order). Keys whose ranges do not fit in 63 bits fall back to ``np.lexsort``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def lexsort_ints(keys: Sequence[np.ndarray]) -> np.ndarray:
    """The permutation ``np.lexsort(keys)`` gives (the last key is the primary one)."""
    keys = [np.asarray(k) for k in keys]
    if not keys or keys[0].size == 0 or any(k.dtype.kind not in "biu" for k in keys):
        return np.lexsort(keys)
    lows = [int(k.min()) for k in keys]
    bits = [(int(k.max()) - lo).bit_length() for k, lo in zip(keys, lows, strict=True)]
    if sum(bits) > 63:
        return np.lexsort(keys)
    packed = np.zeros(keys[0].size, dtype=np.int64)
    for k, lo, b in zip(keys[::-1], lows[::-1], bits[::-1], strict=True):  # primary key first
        packed <<= b
        packed |= k.astype(np.int64) - lo
    return np.argsort(packed, kind="stable")
