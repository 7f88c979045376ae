"""Caches that hold a bounded number of bytes, whatever the pages say.

An ``lru_cache`` bounds its entries, not their size: a page's whole text, or a hostile page's
class name of a megabyte, kept as a key would stay in the process long after the page.
``cached_when_short`` keeps only the calls whose string arguments are short.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps


def cached_when_short(maxsize: int, chars: int = 200) -> Callable:
    """``lru_cache(maxsize)`` for the calls whose string arguments are all at most ``chars``
    long; longer ones are computed each time.

    >>> @cached_when_short(8, chars=3)
    ... def upper(text):
    ...     return text.upper()
    >>> upper("abc"), upper("abcd"), upper.cache_info().currsize
    ('ABC', 'ABCD', 1)
    """

    def wrap(function: Callable) -> Callable:
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def call(*args):
            if all(not isinstance(a, str) or len(a) <= chars for a in args):
                return cached(*args)
            return function(*args)

        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return call

    return wrap
