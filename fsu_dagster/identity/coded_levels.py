"""Comparison levels from value codes: integer and packed-word arithmetic, once per value.

A vocabulary (``scoring.Vocabulary``) codes each distinct normal-form value of a field; a
comparison's ``coded`` shortcut turns the vocabulary's values into a function of two aligned code
arrays that gives each pair the level the comparison's string rule (``Comparison.assign``, in
``comparisons``) would give it. The per-value work (digits, dates, lengths, end and sector codes,
characters packed in 64-bit words) is done once; a pair is then a few array lookups and word
operations. Pairs the arithmetic does not cover (a null, an unusual value) go through the string
rule itself, so the levels are always the rule's (tested against it on every pair of a grid).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

__all__ = [
    "coded_dob",
    "coded_postcode",
    "dense_codes",
    "differing_bytes",
    "levels_off_the_fast_path",
    "one_edit_words",
    "packed_words",
]


def coded_dob(
    values: pl.Series, fallback: Callable[[pl.DataFrame], pl.Series]
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The DOB comparison's string rule (``fallback``, ``comparisons._assign_dob``) on value codes.

    Pairs of two 8-digit (ASCII) DOBs, nearly all of them, are given their level with integer
    arithmetic on each value's digits, year, month, day and date, worked out once per value; any
    other pair (a null, a 7- or 9-digit DOB) goes through ``fallback`` itself. For two strings
    of one length, an optimal string alignment distance of 1 is one differing character, or two
    adjacent ones exchanged."""
    plain = values.str.contains(r"^[0-9]{8}$").fill_null(False).to_numpy()
    text = values.fill_null("00000000").str.pad_end(8, "0").str.slice(0, 8)
    digits = np.frombuffer("".join(text.to_list()).encode("latin-1", "replace"), dtype=np.uint8).reshape(-1, 8)
    words = digits.view(np.uint64).ravel()
    number = (digits.astype(np.int64) - 48) @ (10 ** np.arange(7, -1, -1, dtype=np.int64))
    year, month, day = number // 10_000, number // 100 % 100, number % 100
    date = values.str.strptime(pl.Date, "%Y%m%d", strict=False)
    has_date = date.is_not_null().to_numpy()
    days = date.cast(pl.Int64).fill_null(0).to_numpy()

    def assign(lc: np.ndarray, rc: np.ndarray) -> np.ndarray:
        out, at, a, b = levels_off_the_fast_path(values, plain, lc, rc, fallback)
        ya, yb, ma, mb, da, db = year[a], year[b], month[a], month[b], day[a], day[b]
        swap = (ya == yb) & (ma == db) & (da == mb) & (ma != da)
        one_day = has_date[a] & has_date[b] & (np.abs(days[a] - days[b]) == 1)
        one_year = (ma == mb) & (da == db) & (np.abs(ya - yb) == 1)
        # The characters that differ: one bit per differing byte of the two 8-byte words.
        x = differing_bytes(words[a] ^ words[b])
        n_differ = np.bitwise_count(x)
        # Exactly two, side by side, each the other's character: one adjacent transposition.
        crossed = (n_differ == 2) & ((x & (x >> np.uint64(8))) != 0)
        maybe = np.flatnonzero(crossed)
        if maybe.size:
            pa, pb = digits[a[maybe]], digits[b[maybe]]
            i = (pa != pb).argmax(axis=1)
            rows = np.arange(maybe.size)
            crossed[maybe] = (pa[rows, i] == pb[rows, i + 1]) & (pa[rows, i + 1] == pb[rows, i])
        typo = (n_differ == 1) | crossed | one_day | one_year
        partial = ((ya == yb).astype(np.int8) + (ma == mb) + (da == db)) >= 2
        level = np.select([a == b, swap, typo, partial], [1, 2, 3, 4], default=5).astype(np.int8)
        out[at] = level
        return out

    return assign


def coded_postcode(
    values: pl.Series, fallback: Callable[[pl.DataFrame], pl.Series]
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The postcode comparison's string rule (``fallback``, ``comparisons._assign_postcode``) on
    value codes.

    Pairs of two postcodes of 1 to 8 characters A–Z or 0–9 (every normal form in practice) are
    given their level from each value's length, sector code, two end codes and characters packed
    in a 64-bit word, worked out once per value: the same ends screen before the edit distance,
    an edit distance of 1 from the packed words. Any other pair (a null, a longer or unusual
    value) goes through ``fallback`` itself."""
    plain = values.str.contains(r"^[A-Z0-9]{1,8}$").fill_null(False).to_numpy()
    text = values.fill_null("")
    words = packed_words(pl.Series(np.where(plain, text.to_numpy(), "")).cast(pl.String))
    length = text.str.len_bytes().to_numpy().astype(np.int64)
    head, tail = dense_codes(text.str.slice(0, 2)), dense_codes(text.str.slice(-2, 2))
    long = length >= 5
    sector = dense_codes(
        pl.DataFrame({"v": text, "n": length})
        .select(pl.when(pl.col("n") >= 5).then(pl.col("v").str.slice(0, pl.col("n") - 2)).otherwise(None))
        .to_series()
    )

    def assign(lc: np.ndarray, rc: np.ndarray) -> np.ndarray:
        out, at, a, b = levels_off_the_fast_path(values, plain, lc, rc, fallback)
        same_sector = long[a] & long[b] & (sector[a] == sector[b])
        maybe = (head[a] == head[b]) | (tail[a] == tail[b]) | ~long[a] | ~long[b]
        near = same_sector.copy()
        check = np.flatnonzero(maybe & ~same_sector & (a != b))
        if check.size:
            ca, cb = a[check], b[check]
            near[check] = one_edit_words(words[ca], words[cb], length[ca], length[cb])
        out[at] = np.where(a == b, 1, np.where(near, 2, 3)).astype(np.int8)
        return out

    return assign


def levels_off_the_fast_path(
    values: pl.Series,
    plain: np.ndarray,
    lc: np.ndarray,
    rc: np.ndarray,
    fallback: Callable[[pl.DataFrame], pl.Series],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For a coded comparison's pairs (value codes ``lc``, ``rc``): the levels array, with the
    pairs where either value is not ``plain`` already levelled by the string ``fallback`` (on
    ``l, r`` columns), and the positions and codes (``at``, ``a``, ``b``) of the plain pairs,
    whose levels the caller works out from the codes."""
    out = np.empty(lc.size, dtype=np.int8)
    fast = plain[lc] & plain[rc]
    slow = np.flatnonzero(~fast)
    if slow.size:
        pairs = pl.DataFrame({"l": values.gather(lc[slow]), "r": values.gather(rc[slow])})
        out[slow] = fallback(pairs).to_numpy()
    at = np.flatnonzero(fast)
    return out, at, lc[at], rc[at]


def packed_words(text: pl.Series) -> np.ndarray:
    """Strings of at most 8 ASCII characters as 64-bit words, character ``i`` in byte ``i``
    (little-endian), zero-padded."""
    padded = text.str.pad_end(8, "\0").str.slice(0, 8).to_list()
    raw = np.frombuffer("".join(padded).encode("latin-1", "replace"), dtype=np.uint8)
    return raw.reshape(-1, 8).view("<u8").ravel().astype(np.uint64)


def differing_bytes(x: np.ndarray) -> np.ndarray:
    """One bit (the lowest) per nonzero byte of each 64-bit word."""
    x = x | (x >> np.uint64(4))
    x |= x >> np.uint64(2)
    x |= x >> np.uint64(1)
    return x & np.uint64(0x0101010101010101)


def one_edit_words(a: np.ndarray, b: np.ndarray, len_a: np.ndarray, len_b: np.ndarray) -> np.ndarray:
    """Whether two different strings (packed words, ``_packed_words``) are one edit apart in
    optimal string alignment: one character changed or two adjacent ones exchanged (same
    length), or one inserted (lengths one apart)."""
    out = np.zeros(a.size, dtype=bool)
    same = np.flatnonzero(len_a == len_b)
    if same.size:
        x = differing_bytes(a[same] ^ b[same])
        n_differ = np.bitwise_count(x)
        # Two differing bytes side by side, each the other's character: an exchange.
        pair = (n_differ == 2) & ((x & (x >> np.uint64(8))) != 0)
        low = x & (~x + np.uint64(1))  # the first differing byte's bit
        shift = np.log2(np.where(pair, low, 1).astype(np.float64)).astype(np.uint64)
        eight = np.uint64(8)
        mask = np.uint64(0xFF)
        aa, bb = a[same], b[same]
        exchanged = (((aa >> shift) & mask) == ((bb >> (shift + eight)) & mask)) & (
            ((aa >> (shift + eight)) & mask) == ((bb >> shift) & mask)
        )
        out[same] = (n_differ == 1) | (pair & exchanged)
    apart = np.flatnonzero(np.abs(len_a.astype(np.int64) - len_b.astype(np.int64)) == 1)
    if apart.size:
        longer = len_a[apart] > len_b[apart]
        t = np.where(longer, a[apart], b[apart])
        s_ = np.where(longer, b[apart], a[apart])
        x = s_ ^ t  # nonzero: t has a character where s has its padding
        low = x & (~x + np.uint64(1))
        first = np.log2(low.astype(np.float64)).astype(np.uint64) & ~np.uint64(7)  # 8 x the first mismatch
        keep = (np.uint64(1) << first) - np.uint64(1)
        # The longer string without its character at the first mismatch: equal to the shorter
        # one exactly when one insertion separates them (within a run of one character, any
        # of the run's copies may be the inserted one).
        out[apart] = ((t & keep) | ((t >> np.uint64(8)) & ~keep)) == s_
    return out


def dense_codes(values: pl.Series) -> np.ndarray:
    """Each value's rank among the distinct values (1, 2, ...), 0 for null."""
    return pl.DataFrame({"v": values}).select(pl.col("v").rank("dense")).to_series().fill_null(0).to_numpy()
