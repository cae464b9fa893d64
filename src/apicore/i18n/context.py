"""The language of the work in progress (one request, one job), kept in a context variable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from apicore.i18n.negotiation import DEFAULT_LOCALE, SUPPORTED

_locale: ContextVar[str] = ContextVar("apicore_locale", default=DEFAULT_LOCALE)


def current_locale() -> str:
    """The locale set for this context, `DEFAULT_LOCALE` when none was set."""
    return _locale.get()


def resolve_locale(locale: str | None) -> str:
    """Return `locale`, or the current locale when it is None.

    Raises:
        ValueError: when `locale` is not one of `SUPPORTED`.
    """
    if locale is None:
        return _locale.get()
    if locale not in SUPPORTED:
        raise ValueError(f"unsupported locale {locale!r}; expected one of {SUPPORTED}")
    return locale


def set_locale(locale: str) -> Token[str]:
    """Set the locale for this context; pass the token to `reset_locale` to undo.

    Raises:
        ValueError: when `locale` is not one of `SUPPORTED`.
    """
    return _locale.set(resolve_locale(locale))


def reset_locale(token: Token[str]) -> None:
    """Restore the locale that was current before `set_locale` returned `token`."""
    _locale.reset(token)


@contextmanager
def use_locale(locale: str) -> Iterator[str]:
    """Run a block in `locale`, restoring the previous locale afterwards.

    Raises:
        ValueError: when `locale` is not one of `SUPPORTED`.
    """
    token = set_locale(locale)
    try:
        yield locale
    finally:
        _locale.reset(token)
