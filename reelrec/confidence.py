"""Score (0.5-5 stars) -> ALS confidence and preference, as the signed values implicit's ALS reads.

Mapping (Hu, Koren & Volinsky confidence with explicit dislikes), with ``neutral`` t, ``alpha`` a, ``neg_alpha`` b:

- score s >= t: preference p = 1 (liked), confidence c = 1 + a * (s - t + 0.5) / (5.5 - t)
  (so the top score 5.0 gets 1 + a and the lowest liked score t gets 1 + a * 0.5 / (5.5 - t));
- score s <  t: preference p = 0 (disliked), confidence c = 1 + b * (t - s) / (t - 0.5)
  (so 0.5 gets 1 + b); stored as the negative value -c, which implicit reads as "p = 0 with confidence c";
- every unrated (user, title) pair: p = 0, c = 1 (implicit's default).

implicit's own ``alpha`` is left at 1.0: the matrix holds the confidences themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ConfidenceMap:
    """Parameters of the score -> signed confidence mapping described in the module docstring."""

    alpha: float = 10.0
    neutral: float = 3.0
    neg_alpha: float = 2.0

    def values(self, scores: np.ndarray) -> np.ndarray:
        """Signed confidences (float32): +c for liked scores, -c for disliked ones."""
        s = np.asarray(scores, dtype=np.float32)
        t = np.float32(self.neutral)
        pos = 1.0 + self.alpha * (s - t + 0.5) / (5.5 - t)
        neg = 1.0 + self.neg_alpha * (t - s) / max(float(t) - 0.5, 1e-6)
        return np.where(s >= t, pos, -neg).astype(np.float32)

    def describe(self) -> str:
        """One-line human description of the mapping with its numbers."""
        return (
            f"score >= {self.neutral:g}: p=1, c = 1 + {self.alpha:g}*(s - {self.neutral - 0.5:g})/{5.5 - self.neutral:g}; "
            f"score < {self.neutral:g}: p=0, c = 1 + {self.neg_alpha:g}*({self.neutral:g} - s)/{self.neutral - 0.5:g}; "
            "unrated: p=0, c=1"
        )
