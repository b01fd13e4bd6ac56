"""Counter-based random numbers: every draw is a pure function of (seed, stream, keys).

Why not a sequential ``numpy.random.Generator``: the generator re-simulates the treated people
without their programme (potential outcomes with common random numbers), and must give the same
person the same draws whatever the population size or which subset is simulated. Hashing
(seed, stream, person, month, k) with splitmix64 gives exactly that, vectorised.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection on uint64 with good avalanche), in place: the
    callers pass a fresh array, and the generator spends much of its time here."""
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def hash64(seed: int, stream: int, *keys) -> np.ndarray:
    """uint64 hash of (seed, stream, keys...); keys broadcast like numpy arrays."""
    with np.errstate(over="ignore"):
        h = _mix(np.asarray([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64) * _GOLDEN
                 + np.uint64(stream))
        for k in keys:
            h = _mix(h + np.asarray(k).astype(np.uint64) * _GOLDEN)
    return h


def extend(h: np.ndarray, *keys) -> np.ndarray:
    """Continue a partial hash with more keys: ``extend(hash64(seed, stream, a), b)`` equals
    ``hash64(seed, stream, a, b)`` bit for bit, so a prefix shared by many draws (the person)
    is hashed once. ``h`` is not modified."""
    with np.errstate(over="ignore"):
        for k in keys:
            h = _mix(h + np.asarray(k).astype(np.uint64) * _GOLDEN)
    return h


def uniform(seed: int, stream: int, *keys) -> np.ndarray:
    """Uniform(0, 1) draws, never exactly 0 or 1."""
    return to_uniform(hash64(seed, stream, *keys))


def to_uniform(h: np.ndarray) -> np.ndarray:
    """The uniform of ``uniform`` from its hash (``h`` is consumed: shifted in place)."""
    h >>= np.uint64(11)
    u = h.astype(np.float64)
    u += 0.5
    u *= 1.0 / 9007199254740992.0
    return u


def normal(seed: int, stream: int, *keys) -> np.ndarray:
    """Standard normal draws by inversion (so they couple monotonically across worlds)."""
    return ndtri(uniform(seed, stream, *keys))


def to_normal(h: np.ndarray) -> np.ndarray:
    """The normal of ``normal`` from its hash (``h`` is consumed)."""
    u = to_uniform(h)
    return ndtri(u, out=u)


def poisson_inverse(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson(lam) counts by inverting the CDF at ``u`` (monotone in lam: common random
    numbers give coupled counts when the intensity changes)."""
    u, lam = np.asarray(u), np.asarray(lam)
    counts = np.zeros(u.shape, dtype=np.int64)
    # exp(-lam) > 1 - lam, and the margin dwarfs any rounding: below the bound the count is 0
    # (what the exact comparison gives), so the exponential is needed only above it
    cand = np.flatnonzero(u > (1.0 - lam) - 1e-9)
    u, lam = u.ravel()[cand], lam.ravel()[cand]
    n = np.zeros(cand.size, dtype=np.int64)
    p = np.exp(-lam)
    cdf = p.copy()
    active = np.flatnonzero(u > cdf)
    while active.size:
        n[active] += 1
        p[active] *= lam[active] / n[active]
        cdf[active] += p[active]
        active = active[u[active] > cdf[active]]
        if active.size and n[active].min() > 500:  # numerical guard, unreachable in practice
            break
    counts.ravel()[cand] = n
    return counts
