"""The title search's index: folded title keys, people and a one-edit typo table, as numpy arrays (no pyarrow).

The ETL builds it once per catalog snapshot (``build_search_index``, plain Python is fine there); the API wraps the
arrays without any per-title work (``SearchIndex.from_arrays``) and answers a query with a few vectorised passes:
- ``titles``: each row's display title folded by ``reelrec.textfold.key`` (no accents, case, punctuation or spaces),
  one UTF-8 blob with offsets, so "spiderman", "spider man" and "Spider-Man" are the same bytes;
- ``people``: every distinct cast member and director, folded the same way, with a flag per blob byte where one of
  the name's words starts, the name as written, and a CSR person -> (row, role);
- ``typo``: the vocabulary of title words of 4+ letters, and the 64-bit hashes of every word and of each of its
  one-letter deletions (sorted), so the words one edit away from a query word are found with ``searchsorted``
  (two words are one insertion, deletion, substitution or transposition apart when their deletion sets meet).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from reelrec.artifact_checks import Checks, InvalidArtifact
from reelrec.textfold import key, words

TYPO_MIN_LETTERS = 5  # a query word this long may carry one typo
VOCAB_MIN_LETTERS = TYPO_MIN_LETTERS - 1  # the shortest word one deletion away
CAST, DIRECTOR = 0, 1
ROLES = ("cast", "director")


def word_hash(word: str) -> int:
    """A stable 64-bit hash of a folded word (the ETL and the API must agree on it)."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def deletions(word: str) -> set[str]:
    """The word itself and every word one letter shorter made from it."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are at most one insertion, deletion, substitution or adjacent transposition apart."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


PAIRS = 256 * 257  # (first byte, second byte + 1, or 0 at the end of the blob)


def pair_codes(blob: np.ndarray) -> np.ndarray:
    """The code of the two bytes starting at each position of ``blob``: ``first * 257 + second + 1`` (0 for "none")."""
    following = np.zeros(len(blob), np.int64)
    following[:-1] = blob[1:].astype(np.int64) + 1
    return blob.astype(np.int64) * 257 + following


def pair_index(blob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each two-byte sequence occurs in ``blob``: CSR over ``pair_codes`` (positions ascending per code), so a
    search starts from the query's first two bytes instead of scanning the blob."""
    codes = pair_codes(blob)
    order = np.argsort(codes, kind="stable").astype(np.int32)
    indptr = np.zeros(PAIRS + 1, np.int32)
    np.cumsum(np.bincount(codes, minlength=PAIRS), out=indptr[1:])
    return indptr, order


def _blob(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 blob and offsets (int64, len n + 1) of ``texts``."""
    encoded = [t.encode() for t in texts]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), np.uint8).copy(), offsets


def _text(blob: np.ndarray, offsets: np.ndarray, i: int) -> str:
    return blob[offsets[i] : offsets[i + 1]].tobytes().decode()


MASK_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789"  # the bytes of SearchIndex.letter_masks


@dataclass(frozen=True)
class SearchIndex:
    """The arrays of one snapshot's search index (layout in the module docstring)."""

    title_blob: np.ndarray  # uint8: folded title keys
    title_offsets: np.ndarray  # int64, n_rows + 1
    people_blob: np.ndarray  # uint8: folded person keys, sorted
    people_offsets: np.ndarray  # int64, n_people + 1
    people_word_start: np.ndarray  # bool per people_blob byte: a word of the name starts here
    people_names_blob: np.ndarray  # uint8: the names as written
    people_names_offsets: np.ndarray  # int64, n_people + 1
    person_indptr: np.ndarray  # int64, n_people + 1: person p's titles are person_rows[indptr[p]:indptr[p+1]]
    person_rows: np.ndarray  # int32 snapshot row
    person_role: np.ndarray  # uint8: CAST or DIRECTOR
    vocab_blob: np.ndarray  # uint8: title words of 4+ letters, sorted
    vocab_offsets: np.ndarray  # int64, n_words + 1
    typo_hash: np.ndarray  # uint64, sorted: hashes of every vocabulary word's deletions (the word included)
    typo_word: np.ndarray  # int32: the vocabulary word each hash belongs to
    title_pair_indptr: np.ndarray  # int32, PAIRS + 1: blob positions by the two bytes starting there (``pair_code``)
    title_pair_pos: np.ndarray  # int32: positions in title_blob, grouped by pair, ascending within a pair
    people_pair_indptr: np.ndarray  # the same for people_blob
    people_pair_pos: np.ndarray

    def starts(self, which: str, needle: bytes) -> np.ndarray:
        """Ascending blob positions (of ``which``: "title" or "people") where ``needle``'s first two bytes occur."""
        indptr, pos = getattr(self, f"{which}_pair_indptr"), getattr(self, f"{which}_pair_pos")
        first = needle[0] * 257
        if len(needle) >= 2:
            code = first + needle[1] + 1
            return pos[indptr[code] : indptr[code + 1]].astype(np.int64)
        return np.flatnonzero(getattr(self, f"{which}_blob") == needle[0])  # one byte: a scan is sorted already

    def letter_masks(self) -> np.ndarray:
        """Per title key, a uint64 with bit i set when ``MASK_BYTES[i]`` occurs in it (computed on first use): a
        one-letter query ("e", as people start typing) is then one AND over the rows instead of a blob scan."""
        cache = self.__dict__
        if "_letter_masks" not in cache:
            bits = np.zeros(257, np.uint64)
            bits[np.frombuffer(MASK_BYTES, np.uint8)] = np.uint64(1) << np.arange(len(MASK_BYTES), dtype=np.uint64)
            per_byte = np.append(bits[self.title_blob], np.uint64(0))  # a trailing 0 for empty last keys
            starts = self.title_offsets[:-1]
            masks = np.bitwise_or.reduceat(per_byte, starts)
            masks[np.diff(self.title_offsets) == 0] = 0  # reduceat gives the next key's first byte for an empty key
            cache["_letter_masks"] = masks
        return cache["_letter_masks"]

    def string_of_byte(self, which: str) -> np.ndarray:
        """For each byte of ``which``'s blob, the string it belongs to (int32), computed on first use: turns a
        match position into its row with a gather instead of a binary search."""
        cache = self.__dict__.setdefault("_string_of_byte", {})
        if which not in cache:
            offsets = getattr(self, f"{which}_offsets")
            cache[which] = np.repeat(np.arange(len(offsets) - 1, dtype=np.int32), np.diff(offsets))
        return cache[which]


    def validate(self, rows: int, checks: Checks) -> None:
        """Raise ``InvalidArtifact`` unless every array has its dtype, length and range (``rows``: the snapshot's)."""
        checks.text("search.title", self.title_blob, self.title_offsets, rows)
        people = checks.text("search.people", self.people_blob, self.people_offsets, None)
        checks.array("search.people_word_start", self.people_word_start, "bool", len(self.people_blob))
        checks.text("search.people_names", self.people_names_blob, self.people_names_offsets, people)
        checks.csr("search.person", self.person_indptr, self.person_rows, people, rows, "int64", "int32")
        checks.array("search.person_role", self.person_role, "uint8", len(self.person_rows))
        checks.within("search.person_role", self.person_role, 0, len(ROLES))
        n_words = checks.text("search.vocab", self.vocab_blob, self.vocab_offsets, None)
        checks.array("search.typo_hash", self.typo_hash, "uint64")
        checks.ascending("search.typo_hash", self.typo_hash, strict=False)
        checks.array("search.typo_word", self.typo_word, "int32", len(self.typo_hash))
        checks.within("search.typo_word", self.typo_word, 0, n_words)
        for which in ("title", "people"):
            blob = getattr(self, f"{which}_blob")
            indptr, pos = getattr(self, f"{which}_pair_indptr"), getattr(self, f"{which}_pair_pos")
            checks.array(f"search.{which}_pair_pos", pos, "int32", len(blob))
            checks.offsets(f"search.{which}_pair_indptr", indptr, PAIRS, len(blob), "int32")
            checks.within(f"search.{which}_pair_pos", pos, 0, len(blob))
            if len(blob) and (pair_codes(blob)[pos] != np.repeat(np.arange(PAIRS), np.diff(indptr))).any():
                checks.fail(f"search.{which}_pair_pos", "does not list the positions of each byte pair")
            starts = np.zeros(len(pos) + 1, bool)
            starts[indptr] = True
            if ((np.diff(pos) <= 0) & ~starts[1:-1]).any():
                checks.fail(f"search.{which}_pair_pos", "does not list each pair's positions in ascending order")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Name -> array, for the snapshot's ``.npz``."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> SearchIndex:
        """Wrap arrays written by ``to_arrays`` (nothing is computed); ``InvalidArtifact`` when one is missing."""
        missing = [f.name for f in fields(cls) if f.name not in arrays]
        if missing:
            raise InvalidArtifact(f"search index: missing arrays {', '.join(missing)}")
        return cls(**{f.name: arrays[f.name] for f in fields(cls)})

    def person_name(self, person: int) -> str:
        """A person's name as the catalog wrote it."""
        return _text(self.people_names_blob, self.people_names_offsets, person)

    def vocab_word(self, i: int) -> str:
        return _text(self.vocab_blob, self.vocab_offsets, i)

    def corrections(self, word: str) -> list[str]:
        """Vocabulary words one edit away from ``word`` (``word`` itself excluded), closest spelling first."""
        hashes = np.array(sorted({word_hash(d) for d in deletions(word)}), np.uint64)
        lo = np.searchsorted(self.typo_hash, hashes, "left")
        hi = np.searchsorted(self.typo_hash, hashes, "right")
        found = {int(self.typo_word[j]) for a, b in zip(lo, hi, strict=True) for j in range(a, b)}
        out = [w for w in (self.vocab_word(i) for i in sorted(found)) if w != word and one_edit(w, word)]
        return sorted(out, key=lambda w: (abs(len(w) - len(word)), w))

    def is_word_prefix(self, word: str) -> bool:
        """Whether some vocabulary word starts with ``word`` (a word still being typed is no typo)."""
        starts = self.vocab_offsets[:-1]
        lo, hi = 0, len(starts)
        target = word.encode()
        while lo < hi:  # binary search over the sorted words (bytes sort like code points)
            mid = (lo + hi) // 2
            if self.vocab_blob[starts[mid] : self.vocab_offsets[mid + 1]].tobytes() < target:
                lo = mid + 1
            else:
                hi = mid
        return lo < len(starts) and self.vocab_blob[starts[lo] : self.vocab_offsets[lo + 1]].tobytes().startswith(target)


def build_search_index(titles: Sequence[str], directors: Sequence[str], casts: Sequence[str]) -> SearchIndex:
    """The index of a snapshot's rows from their display title, director list and cast list ('' when none)."""
    title_blob, title_offsets = _blob([key(t) for t in titles])

    spelled: dict[str, str] = {}  # folded key -> first spelling
    credits: list[tuple[str, int, int]] = []  # (person key, row, role)
    keys: dict[str, str] = {}  # name -> key: people appear in many titles
    for row, (director, cast) in enumerate(zip(directors, casts, strict=True)):
        for role, names in ((DIRECTOR, director), (CAST, cast)):
            for name in (names or "").split(","):
                name = " ".join(name.split())
                k = keys.get(name)
                if k is None:
                    k = keys[name] = key(name)
                if k:
                    spelled.setdefault(k, name)
                    credits.append((k, row, role))
    people = sorted(spelled)
    code = {k: i for i, k in enumerate(people)}
    coded = sorted(set((code[k], row, role) for k, row, role in credits))
    people_blob, people_offsets = _blob(people)
    word_start = np.zeros(len(people_blob), bool)
    for i, k in enumerate(people):
        pos = int(people_offsets[i])
        for w in words(spelled[k]):
            word_start[pos] = True
            pos += len(w.encode())
    names_blob, names_offsets = _blob([spelled[k] for k in people])
    indptr = np.zeros(len(people) + 1, np.int64)
    np.cumsum(np.bincount(np.array([c[0] for c in coded], np.int64), minlength=len(people)), out=indptr[1:])

    vocab = sorted({w for t in titles for w in words(t) if len(w) >= VOCAB_MIN_LETTERS})
    vocab_blob, vocab_offsets = _blob(vocab)
    pairs = sorted((word_hash(d), i) for i, w in enumerate(vocab) for d in deletions(w))
    title_pairs, people_pairs = pair_index(title_blob), pair_index(people_blob)
    return SearchIndex(
        title_blob=title_blob, title_offsets=title_offsets,
        people_blob=people_blob, people_offsets=people_offsets, people_word_start=word_start,
        people_names_blob=names_blob, people_names_offsets=names_offsets,
        person_indptr=indptr, person_rows=np.array([c[1] for c in coded], np.int32),
        person_role=np.array([c[2] for c in coded], np.uint8),
        vocab_blob=vocab_blob, vocab_offsets=vocab_offsets,
        typo_hash=np.array([p[0] for p in pairs], np.uint64), typo_word=np.array([p[1] for p in pairs], np.int32),
        title_pair_indptr=title_pairs[0], title_pair_pos=title_pairs[1],
        people_pair_indptr=people_pairs[0], people_pair_pos=people_pairs[1],
    )

