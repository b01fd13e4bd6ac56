"""Fine-Gray's risk-set sums by prefix and suffix sums (fine_gray.py) against their m x n
definition (the code before, which matched R cmprsk::crr): the same log-likelihood, score,
information and sandwich variance, on data with tied times, competing events and censoring."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.estimators.fine_gray import _FGData, _fine_gray_sandwich


class DenseFGData:
    """The m x n definition: omega[j, i], person i's weight in the risk set at failure time j."""

    def __init__(self, t, status, x, failcode):
        order = np.argsort(t, kind="stable")
        self.t, self.x = t[order], x[order]
        st = status[order]
        self.fail = st == failcode
        self.comp = (st != 0) & ~self.fail
        self.cens = st == 0
        # censoring Kaplan-Meier, evaluated just before each person's own time: G(T_i-)
        ut, idx = np.unique(self.t, return_inverse=True)
        n_c = np.bincount(idx, weights=self.cens.astype(float))
        y = np.bincount(idx)[::-1].cumsum()[::-1].astype(float)
        g_after = np.cumprod(1 - n_c / y)
        g_before = np.r_[1.0, g_after[:-1]]
        self.u, self.d = np.unique(self.t[self.fail], return_counts=True)
        g_u = g_before[np.searchsorted(ut, self.u)]
        g_i = g_before[idx]
        # weight of person i in the risk set at failure time u_j: 1 while T_i >= u_j, else
        # G(u_j-)/G(T_i-) for a competing event (0 for the censored); one m x n pass
        self.omega = np.where(self.t[None, :] >= self.u[:, None], 1.0,
                              self.comp[None, :] * g_u[:, None] / g_i[None, :])  # m x n
        self.fail_pos = np.searchsorted(self.u, self.t)                   # valid where fail
        self.cens_times, self.n_cens = np.unique(self.t[self.cens], return_counts=True)
        # at risk at each censoring time (t is sorted): those with T >= c
        self.y_cens = (len(self.t) - np.searchsorted(self.t, self.cens_times, side="left")
                       ).astype(float)

    def pieces(self, beta):
        eta = self.x @ beta
        r = self.omega * np.exp(eta)[None, :]
        s0 = r.sum(axis=1)
        s1 = r @ self.x
        ebar = s1 / s0[:, None]
        loglik = float(eta[self.fail].sum() - np.sum(self.d * np.log(s0)))
        score = self.x[self.fail].sum(axis=0) - (self.d[:, None] * ebar).sum(axis=0)
        s2 = np.einsum("mn,np,nq->mpq", r, self.x, self.x)
        info = np.einsum("m,mpq->pq", self.d / s0, s2) - np.einsum("m,mp,mq->pq", self.d,
                                                                   ebar, ebar)
        return loglik, score, info, r, s0, ebar


def dense_sandwich(data: DenseFGData, beta: np.ndarray) -> np.ndarray:
    """Fine & Gray's robust variance with the censoring-estimation term (cmprsk ``crrvv``)."""
    _, _, info, r, s0, ebar = data.pieces(beta)
    x = data.x
    a = data.d / s0
    own = np.zeros_like(x)
    own[data.fail] = x[data.fail] - ebar[data.fail_pos[data.fail]]
    eta_res = own - x * (r.T @ a)[:, None] + r.T @ (a[:, None] * ebar)
    psi = np.zeros_like(x)
    if len(data.cens_times):
        comp_idx = np.flatnonzero(data.comp)                 # already in time order
        rc = r[:, comp_idx]
        p0 = np.c_[np.zeros(len(a)), np.cumsum(rc, axis=1)]
        p1 = np.concatenate([np.zeros((len(a), 1, x.shape[1])),
                             np.cumsum(rc[:, :, None] * x[comp_idx][None, :, :], axis=1)], axis=1)
        rpos = np.searchsorted(data.t[comp_idx], data.cens_times, side="left")
        mask = data.u[:, None] >= data.cens_times[None, :]                # m x C
        inner = p1[:, rpos, :] - ebar[:, None, :] * p0[:, rpos][:, :, None]
        q = np.einsum("mc,m,mcp->cp", mask.astype(float), a, inner)       # C x p
        jump = -np.cumsum(data.n_cens[:, None] * q / data.y_cens[:, None] ** 2, axis=0)
        k = np.searchsorted(data.cens_times, data.t, side="right") - 1
        psi[k >= 0] = jump[k[k >= 0]]
        cpos = np.searchsorted(data.cens_times, data.t[data.cens])
        psi[data.cens] += q[cpos] / data.y_cens[cpos][:, None]
    total = eta_res + psi
    bread = np.linalg.inv(info)
    return bread @ (total.T @ total) @ bread



@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sums_and_sandwich_equal_the_m_by_n_definition(seed):
    rng = np.random.default_rng(seed)
    n = 600
    t = rng.integers(1, 50, n).astype(float)  # many ties
    status = rng.choice([0, 1, 2], n, p=[0.4, 0.4, 0.2])
    x = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n)])
    beta = np.array([0.3, -0.2])
    fast, dense = _FGData(t, status, x, 1), DenseFGData(t, status, x, 1)
    for got, want in zip(fast.pieces(beta)[:3], dense.pieces(beta)[:3], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_fine_gray_sandwich(fast, beta), dense_sandwich(dense, beta),
                               rtol=1e-11, atol=1e-14)


def test_no_censoring_and_no_competing_events():
    rng = np.random.default_rng(9)
    t = rng.integers(1, 20, 200).astype(float)
    x = rng.normal(size=(200, 1))
    for status in (np.ones(200, dtype=int), rng.choice([1, 2], 200)):
        fast, dense = _FGData(t, status, x, 1), DenseFGData(t, status, x, 1)
        np.testing.assert_allclose(fast.pieces(np.array([0.1]))[2],
                                   dense.pieces(np.array([0.1]))[2], rtol=1e-12)
        np.testing.assert_allclose(_fine_gray_sandwich(fast, np.array([0.1])),
                                   dense_sandwich(dense, np.array([0.1])), rtol=1e-11)
