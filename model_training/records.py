"""The training metrics report (a version's ``metrics.json``, ``RunResult.metrics``) as typed records.

Plain dicts on the wire (JSON), ``TypedDict`` in the code that builds and reads them. Standard library only: the
CLI, the registry and the Lambda import this without numpy.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

Mode: TypeAlias = Literal["known", "new"]
MODES: tuple[Mode, ...] = ("known", "new")
CANDIDATE = "hybrid"  # the model the job trains, gates and serves (the others are its baselines)

# one model's (or ranking's) metrics in one mode, as the report stores them
ModelScores = TypedDict(
    "ModelScores",
    {"users": float, "recall@10": float, "ndcg@10": float, "coverage": float, "unrated_share": float},
)
ModeScores: TypeAlias = dict[str, ModelScores]  # model (or ranking) name -> its metrics, in the registry's order
Scores: TypeAlias = dict[str, ModeScores]  # mode -> model name -> metrics: what an evaluation returns


class EvaluationConfig(TypedDict):
    """What defines an evaluation: two reports are comparable only when this and the data are equal."""

    eval_version: int
    history_share: float
    target_min_score: float
    new_user_share: float
    k: int
    seed: int
    max_users_per_mode: int


class Evaluation(TypedDict):
    """The report's ``evaluation``: its settings, the data it ran on, and the metrics of every mode."""

    config: EvaluationConfig
    data_fingerprint: str
    known: ModeScores
    new: ModeScores


class Comparison(TypedDict):
    """One mode of the report's ``comparison``: the hybrid against the best baseline on nDCG@10."""

    best_baseline: str
    gain: float
    target_gain: float
    target_met: bool


class Gate(TypedDict):
    """The promotion gate's decision on the version (as decided; a later switch may still not happen)."""

    promoted: bool
    reason: str


class DataSummary(TypedDict):
    """Counts describing the training data, and its hash."""

    catalog_version: str
    titles: int
    rated_titles: int
    users: int
    ratings: int
    ratings_of_unknown_titles: int
    fingerprint: str


class TrainingMetrics(TypedDict):
    """A version's metrics report, in the order the job writes it; the last four keys are added as the run goes
    on (and may be missing from a report read back from an older or damaged version)."""

    version: str
    created: str  # ISO time the version was made (UTC): what the served model's age is measured from
    seed: int
    data: DataSummary
    params: dict[str, Any]  # hybrid.params_to_dict
    evaluation: Evaluation
    comparison: dict[str, Comparison]  # mode -> comparison
    gate: NotRequired[Gate]
    personas: NotRequired[dict[str, Any]]  # personas.evaluate
    artifact_bytes: NotRequired[int]
    timings: NotRequired[dict[str, float]]  # step -> seconds, and "total"
