"""Numpy fold-in of a user from (item, signed confidence) pairs, the same least squares as implicit's
``recalculate_user``: solve (Y^T Y + sum_i (c_i - 1) y_i y_i^T + reg I) x = sum_i c_i p_i y_i."""

from __future__ import annotations

import numpy as np


def gram(item_factors: np.ndarray) -> np.ndarray:
    """Y^T Y in float64 (computed once per model)."""
    y = np.asarray(item_factors, dtype=np.float64)
    return y.T @ y


def fold_in(
    item_factors: np.ndarray, yty: np.ndarray, item_idx: np.ndarray, values: np.ndarray, regularization: float
) -> np.ndarray:
    """Factors (float32) of one user who gave these signed confidences (see confidence.py) to these items."""
    k = item_factors.shape[1]
    item_idx = np.asarray(item_idx, dtype=np.int64)
    if item_idx.size == 0:
        return np.zeros(k, np.float32)
    v = np.asarray(values, dtype=np.float64)
    c = np.abs(v)
    y = np.asarray(item_factors[item_idx], dtype=np.float64)
    a = yty + (y.T * (c - 1.0)) @ y + regularization * np.eye(k)
    b = y.T @ np.where(v > 0, c, 0.0)
    return np.linalg.solve(a, b).astype(np.float32)


def fold_in_many(
    item_factors: np.ndarray,
    yty: np.ndarray,
    histories: list[tuple[np.ndarray, np.ndarray]],
    regularization: float,
) -> np.ndarray:
    """Factors (n x k float32) of several users, each given as (item_idx, signed confidences)."""
    out = np.zeros((len(histories), item_factors.shape[1]), np.float32)
    for n, (items, values) in enumerate(histories):
        out[n] = fold_in(item_factors, yty, items, values, regularization)
    return out
