"""Catalog -> sparse content feature matrix (one-hot fields + TF-IDF of descriptions), numpy/scipy only."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from model_training.data import Catalog
from reelrec.genres import genre_key
from reelrec.model_artifact import split_list
from reelrec.schemas import CONTENT_BLOCKS

# block name -> default weight (the blocks are L2-normalised one by one, scaled, then each row is L2-normalised)
DEFAULT_BLOCK_WEIGHTS: dict[str, float] = {
    "genre": 1.0,
    "cast": 0.5,
    "director": 0.5,
    "country": 0.3,
    "type": 0.5,
    "rating": 0.3,
    "decade": 0.7,
    "description": 0.5,
}
BLOCKS = CONTENT_BLOCKS  # the artifact's contract (the API names what titles share by these)
assert tuple(DEFAULT_BLOCK_WEIGHTS) == BLOCKS, "a weight per block, in the contract's order"

# list-valued fields with a minimum number of titles per value (a value seen once links nothing)
MIN_DF = {"genre": 1, "cast": 2, "director": 2, "country": 1, "description": 2}
MAX_DF_SHARE = 0.2  # description words in more than this share of titles are dropped

STOPWORDS = frozenset(
    ["a", "about", "after", "again", "against", "all", "also", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "you", "your", "yours", "yourself", "yourselves", "one", "two", "new", "when", "their", "who", "after", "his", "her", "find", "must", "gets", "get", "takes", "becomes", "finds", "life", "world"]
)
_WORD = re.compile(r"[a-z][a-z']+")
_GENRE_SUFFIX = (("ies", "y"), ("s", ""))


@dataclass
class FeatureSpace:
    """The vocabulary of each block: feature column j is (block, value) = columns[j]."""

    columns: list[tuple[str, str]]
    idf: np.ndarray  # float32 per column (1 for one-hot blocks)
    block_of: np.ndarray  # int16 per column: index into BLOCKS

    def block_slice(self, block: str) -> np.ndarray:
        """Column indices of one block."""
        return np.flatnonzero(self.block_of == BLOCKS.index(block))


def _genre_word(word: str) -> str:
    """Crude singular form so 'dramas'/'drama', 'comedies'/'comedy' meet."""
    for suffix, repl in _GENRE_SUFFIX:
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)] + repl
    return word


def genre_tokens(value: str | None) -> list[str]:
    """Genre keys (one per genre however a service spells it: reelrec.genres) plus their singularised words
    ('tv dramas' -> 'drama', 'w:drama'; 'sci-fi & fantasy' -> 'w:scifi', 'w:fantasy', as 'science fiction' gives)."""
    keys = list(dict.fromkeys(genre_key(lab) for lab in split_list(value)))
    words = {_genre_word(w) for key in keys for w in re.findall(r"[a-z]+", key.replace("sci-fi", "scifi"))
             if w not in ("and", "tv")}
    return keys + sorted("w:" + w for w in words)


def description_tokens(value: str | None) -> list[str]:
    """Lower-case words of a description without stop-words."""
    if not value:
        return []
    return [w for w in _WORD.findall(value.lower()) if len(w) > 2 and w not in STOPWORDS]


def catalog_tokens(catalog: Catalog) -> dict[str, list[list[str]]]:
    """Per block, the list of tokens of every title (description words may repeat: term counts)."""
    text = catalog.text
    n = len(catalog)
    years = np.asarray(catalog.release_year)
    return {
        "genre": [genre_tokens(v) for v in text["listed_in"]],
        "cast": [split_list(v) for v in text["cast"]],
        "director": [split_list(v) for v in text["director"]],
        "country": [split_list(v) for v in text["country"]],
        "type": [[v] if v else [] for v in text["type"]],
        "rating": [[v] if v else [] for v in text["rating"]],
        "decade": [[str(int(years[i]) // 10 * 10)] if years[i] > 0 else [] for i in range(n)],
        "description": [description_tokens(v) for v in text["description"]],
    }


def _vocab(docs: Sequence[Iterable[str]], min_df: int, max_df: int) -> dict[str, int]:
    """Sorted vocabulary of the tokens whose document frequency is in [min_df, max_df]."""
    df: dict[str, int] = {}
    for doc in docs:
        for t in set(doc):
            df[t] = df.get(t, 0) + 1
    return {t: j for j, t in enumerate(sorted(t for t, c in df.items() if min_df <= c <= max_df))}


def _block_matrix(docs: Sequence[Sequence[str]], vocab: dict[str, int], tfidf: bool) -> tuple[sp.csr_matrix, np.ndarray]:
    """Count matrix of one block (log-tf x idf when tfidf), rows L2-normalised; also the idf vector."""
    rows, cols, vals = [], [], []
    for i, doc in enumerate(docs):
        counts: dict[int, int] = {}
        for t in doc:
            j = vocab.get(t)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        for j, c in counts.items():
            rows.append(i)
            cols.append(j)
            vals.append(c)
    n = len(docs)
    m = sp.csr_matrix(
        (np.asarray(vals, np.float32), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
        shape=(n, len(vocab)),
    )
    idf = np.ones(len(vocab), np.float32)
    if tfidf:
        df = np.bincount(m.indices, minlength=len(vocab)).astype(np.float32)
        idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        m.data = np.log1p(m.data).astype(np.float32)
        m = m @ sp.diags(idf)
    return normalize_rows(m.tocsr()), idf


def normalize_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit L2 norm (empty rows stay empty)."""
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ m, dtype=np.float32)


def build_blocks(catalog: Catalog) -> tuple[dict[str, sp.csr_matrix], FeatureSpace]:
    """Per-block L2-normalised matrices (titles x values) and the joint feature space."""
    tokens = catalog_tokens(catalog)
    n = len(catalog)
    blocks: dict[str, sp.csr_matrix] = {}
    columns: list[tuple[str, str]] = []
    idfs: list[np.ndarray] = []
    block_of: list[np.ndarray] = []
    for b, name in enumerate(BLOCKS):
        max_df = int(MAX_DF_SHARE * n) if name == "description" else n
        vocab = _vocab(tokens[name], MIN_DF.get(name, 1), max_df)
        m, idf = _block_matrix(tokens[name], vocab, tfidf=name == "description")
        blocks[name] = m
        columns.extend((name, t) for t in vocab)
        idfs.append(idf)
        block_of.append(np.full(len(vocab), b, np.int16))
    space = FeatureSpace(columns, np.concatenate(idfs), np.concatenate(block_of))
    return blocks, space


def document_frequency(m: sp.csr_matrix) -> np.ndarray:
    """Per column, how many rows hold it."""
    return np.bincount(m.tocsr().indices, minlength=m.shape[1])


def _row_ranks(m: sp.csr_matrix, keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Each entry's rank within its row (0 first) by ``keys`` (np.lexsort order: the last key sorts first)."""
    lens = np.diff(m.indptr)
    order = np.lexsort((*keys, np.repeat(np.arange(m.shape[0]), lens)))
    ranks = np.empty(len(order), np.int64)
    ranks[order] = np.arange(len(order)) - np.repeat(m.indptr[:-1], lens)
    return ranks


def keep_words(m: sp.csr_matrix, strongest: int, shared: int) -> sp.csr_matrix:
    """Each row's ``strongest`` largest entries and its ``shared`` most widely shared columns (by document
    frequency; a column in both counts once; ties: the larger entry, then the lower column), rows L2-normalised
    again; both <= 0 keep all. The strongest words say what a title is about; the shared ones link it to its kind."""
    m = m.tocsr()
    if len(m.indices) != m.nnz:  # sliced or stacked matrices may carry spare capacity
        m = m.copy()
        m.prune()
    keep = np.zeros(m.nnz, bool)
    if strongest > 0:
        keep |= _row_ranks(m, (m.indices, -m.data)) < strongest
    if shared > 0:
        keep |= _row_ranks(m, (m.indices, -m.data, -document_frequency(m)[m.indices])) < shared
    if (strongest <= 0 and shared <= 0) or keep.all():
        return m
    lens = np.bincount(np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))[keep], minlength=m.shape[0])
    kept = sp.csr_matrix((m.data[keep], m.indices[keep], np.r_[0, np.cumsum(lens)]), shape=m.shape)
    return normalize_rows(kept)


def combine_blocks(blocks: dict[str, sp.csr_matrix], weights: dict[str, float] | None = None) -> sp.csr_matrix:
    """Weighted horizontal stack of the blocks (in BLOCKS order), rows L2-normalised: float32 CSR."""
    w = {**DEFAULT_BLOCK_WEIGHTS, **(weights or {})}
    m = sp.hstack([blocks[name] * np.float32(w[name]) for name in BLOCKS], format="csr")
    return normalize_rows(m)
