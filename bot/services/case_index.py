"""Find cases by what people type: any spelling, either alphabet, partial names, small typos."""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy.ext.asyncio import AsyncSession

from storage.names import search_key
from storage.repo.cases import all_case_names, case_titles, name_signature, public_case_id_set

MAX_QUERY_LENGTH = 100
ACCEPT_SCORE = 72.0
SURE_SCORE = 80.0
CLEAR_LEAD = 8.0
EXACT_TOKEN, PREFIX_TOKEN = 100.0, 90.0


@dataclass(frozen=True, slots=True)
class Hit:
    """A case that matches a query, through one of its names."""

    case_id: int
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a query found: one clear case, a short list to pick from, or nothing."""

    best: Hit | None
    candidates: tuple[Hit, ...]


def _fuzzy_cutoff(token: str) -> float:
    if len(token) <= 3:
        return 101.0  # too short to guess at
    if len(token) <= 5:
        return 80.0
    return 79.0


class CaseIndex:
    """An in-memory index of every case name, reloaded when names change in the database."""

    def __init__(self, *, max_age: float = 1.0) -> None:
        self.max_age = max_age
        self._checked_at = float("-inf")
        self._signature: tuple[int, int, int] | None = None
        self._lock = asyncio.Lock()
        self._case_of: list[int] = []
        self._names: list[str] = []
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._by_token: dict[str, list[int]] = defaultdict(list)
        self._tokens: list[str] = []
        self._public: frozenset[int] = frozenset()
        self._titles: dict[int, str] = {}

    def load(
        self,
        rows: list[tuple[int, str, str]],
        *,
        public: frozenset[int] | None = None,
        titles: dict[int, str] | None = None,
    ) -> None:
        """Replace the index with these (case id, name, search key) rows.

        ``public``: the cases the public may find (None: all of them); ``titles``: each
        case's main name (None: its first name in ``rows``).
        """
        case_of: list[int] = []
        names: list[str] = []
        by_key: dict[str, list[int]] = defaultdict(list)
        by_token: dict[str, list[int]] = defaultdict(list)
        for position, (case_id, name, key) in enumerate(rows):
            case_of.append(case_id)
            names.append(name)
            by_key[key].append(position)
            for token in set(key.split()):
                by_token[token].append(position)
        self._case_of, self._names, self._by_key, self._by_token = case_of, names, by_key, by_token
        self._tokens = sorted(by_token)
        self._public = frozenset(case_of) if public is None else public
        if titles is None:
            titles = {}
            for case_id, name, _ in rows:
                titles.setdefault(case_id, name)
        self._titles = titles

    def title(self, case_id: int) -> str | None:
        """Return a case's main name, as of the last reload."""
        return self._titles.get(case_id)

    @property
    def due(self) -> bool:
        """Tell whether the next ``refresh`` would look at the database."""
        return time.monotonic() - self._checked_at >= self.max_age

    def invalidate(self) -> None:
        """Make the next lookup check the database (after this process changed case names)."""
        self._checked_at = float("-inf")

    async def refresh(self, session: AsyncSession) -> None:
        """Reload if case names changed in the database (checked at most every second).

        Names added by another process (``appealbot import``) show up within a second;
        this process calls ``invalidate`` after its own changes.
        """
        if not self.due:
            return
        now = time.monotonic()
        signature = await name_signature(session)
        self._checked_at = now
        if signature == self._signature:
            return
        async with self._lock:
            if signature != self._signature:
                public = frozenset(await public_case_id_set(session))
                rows = await all_case_names(session)
                self.load(rows, public=public, titles=await case_titles(session))
                self._signature = signature

    def _token_scores(self, token: str, *, fuzzy: bool) -> dict[str, float]:
        scores: dict[str, float] = {}
        if token in self._by_token:
            scores[token] = EXACT_TOKEN
        if len(token) >= 3:
            start = bisect_left(self._tokens, token)
            for candidate in self._tokens[start : start + 200]:
                if not candidate.startswith(token):
                    break
                scores.setdefault(candidate, PREFIX_TOKEN)
        cutoff = _fuzzy_cutoff(token)
        if fuzzy and cutoff <= 100:
            for candidate, score, _ in process.extract(
                token, self._tokens, scorer=fuzz.ratio, score_cutoff=cutoff, limit=30
            ):
                scores[candidate] = max(scores.get(candidate, 0.0), float(score))
        return scores

    def _score_names(self, tokens: list[str], *, fuzzy: bool) -> dict[int, float]:
        """Score every name that shares a (similar) token with the query, 0 to 100."""
        per_name: dict[int, list[float]] = defaultdict(lambda: [0.0] * len(tokens))
        for index, token in enumerate(tokens):
            for candidate, score in self._token_scores(token, fuzzy=fuzzy).items():
                for position in self._by_token[candidate]:
                    best = per_name[position]
                    best[index] = max(best[index], score)
        return {position: sum(scores) / len(scores) for position, scores in per_name.items()}

    def _decide(self, scored: dict[int, float], limit: int, *, public: bool) -> Lookup:
        best_per_case: dict[int, Hit] = {}
        for position, score in scored.items():
            if score < ACCEPT_SCORE:
                continue
            case_id = self._case_of[position]
            if public and case_id not in self._public:
                continue
            known = best_per_case.get(case_id)
            if known is None or score > known.score:
                best_per_case[case_id] = Hit(case_id, self._names[position], score)
        ranked = sorted(best_per_case.values(), key=lambda hit: (-hit.score, hit.case_id))
        if not ranked:
            return Lookup(best=None, candidates=())
        top = ranked[0]
        clear = len(ranked) == 1 or ranked[1].score <= top.score - CLEAR_LEAD
        if clear and top.score >= SURE_SCORE:
            return Lookup(best=top, candidates=(top,))
        return Lookup(best=None, candidates=tuple(ranked[:limit]))

    def find(self, query: str, *, limit: int = 8, public: bool = True) -> Lookup:
        """Return the case the query means, or the cases it might mean.

        A name written exactly as stored wins outright; then whole words and beginnings of
        words; only when those leave doubt are similar spellings (typos) considered.
        ``public``: only cases the public may see (admins' tools pass False).
        """
        key = search_key(query[:MAX_QUERY_LENGTH])
        tokens = key.split()
        if not tokens:
            return Lookup(best=None, candidates=())
        exact = self._by_key.get(key)
        if exact:
            found = self._decide(dict.fromkeys(exact, EXACT_TOKEN + 1), limit, public=public)
            if found.candidates:
                return found
        quick = self._decide(self._score_names(tokens, fuzzy=False), limit, public=public)
        if quick.best is not None:
            return quick
        return self._decide(self._score_names(tokens, fuzzy=True), limit, public=public)

    def mentioned_in(self, text: str) -> list[Hit]:
        """Return the cases whose names (any spelling, either alphabet) appear in a text,
        in the order they are first mentioned.

        One-word names count only from four letters on, to keep "Ali" out of "Alibek".
        """
        text_key = f" {search_key(text)} "
        words = set(text_key.split())
        first: dict[int, tuple[int, str]] = {}
        for word in words & self._by_token.keys():
            for position in self._by_token[word]:
                key = search_key(self._names[position])
                tokens = key.split()
                if (len(tokens) == 1 and len(key) < 4) or not set(tokens) <= words:
                    continue
                at = text_key.find(f" {key} ")
                if at == -1:
                    continue
                case_id = self._case_of[position]
                if case_id not in first or at < first[case_id][0]:
                    first[case_id] = (at, self._names[position])
        ranked = sorted(first.items(), key=lambda item: item[1][0])
        return [Hit(case_id, name, 100.0) for case_id, (_, name) in ranked]
