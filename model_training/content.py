"""Content side: user profiles over title features, and a ridge map from title features to ALS item factors."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def profile_weights(scores: np.ndarray, center: float) -> np.ndarray:
    """Weight of each rated title in a content profile: score minus a neutral point (dislikes push away)."""
    return np.asarray(scores, np.float32) - np.float32(center)


def profiles(features: sp.csr_matrix, histories: list[tuple[np.ndarray, np.ndarray]], center: float) -> np.ndarray:
    """(n x n_features) dense L2-normalised profiles: score-weighted sums of the rated titles' feature rows."""
    n = len(histories)
    rows = np.repeat(np.arange(n), [len(h[0]) for h in histories])
    items = np.concatenate([h[0] for h in histories]) if n else np.zeros(0, np.int64)
    w = np.concatenate([profile_weights(h[1], center) for h in histories]) if n else np.zeros(0, np.float32)
    sel = sp.csr_matrix((w, (rows, items)), shape=(n, features.shape[0]), dtype=np.float32)
    p = np.asarray((sel @ features).todense(), dtype=np.float32)
    norms = np.linalg.norm(p, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return p / norms


def content_scores(features: sp.csr_matrix, histories: list[tuple[np.ndarray, np.ndarray]], center: float) -> np.ndarray:
    """(n x n_items) cosine between each user's profile and every title (title rows are unit vectors)."""
    return np.asarray(features @ profiles(features, histories, center).T, dtype=np.float32).T


def ridge_map(
    features: sp.csr_matrix, targets: np.ndarray, rows: np.ndarray, lam: float, iters: int = 200, tol: float = 1e-6
) -> np.ndarray:
    """W (n_features x k, float32) minimising ||F[rows] W - targets||^2 + lam ||W||^2, by conjugate gradients
    on all k columns at once (matrix-free, so the feature count may be large)."""
    f = features[rows].tocsr().astype(np.float64)
    ft = f.T.tocsr()
    y = np.asarray(targets, np.float64)
    b = ft @ y
    w = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rs = (r * r).sum(axis=0)
    b_norm = np.sqrt((b * b).sum(axis=0)) + 1e-30
    for _ in range(iters):
        ap = ft @ (f @ p) + lam * p
        alpha = rs / np.maximum((p * ap).sum(axis=0), 1e-30)
        w += p * alpha
        r -= ap * alpha
        rs_new = (r * r).sum(axis=0)
        if np.all(np.sqrt(rs_new) <= tol * b_norm):
            break
        p = r + p * (rs_new / np.maximum(rs, 1e-30))
        rs = rs_new
    return w.astype(np.float32)
