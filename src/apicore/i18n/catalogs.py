"""Gettext catalogs kept as `.po` files in the repository and compiled in process at first use."""

from __future__ import annotations

import functools
import gettext as _gettext
from io import BytesIO
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from apicore.i18n.negotiation import SUPPORTED

LOCALES_DIR: Final = Path(__file__).resolve().parent / "locales"
DOMAIN: Final = "messages"


def po_path(locale: str, locales_dir: Path = LOCALES_DIR) -> Path:
    """Where the `.po` file of `locale` lives: `<locales_dir>/<locale>/LC_MESSAGES/messages.po`."""
    return locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: str, locales_dir: Path = LOCALES_DIR) -> Catalog:
    """Parse the `.po` file of `locale`.

    Raises:
        FileNotFoundError: when the file does not exist.
        babel.messages.pofile.PoFileError: when the file is not valid gettext.
    """
    with po_path(locale, locales_dir).open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN, abort_invalid=True)


def compile_catalog(catalog: Catalog) -> _gettext.GNUTranslations:
    """Compile a catalog to an in-memory `.mo` and load it.

    Untranslated and fuzzy entries are left out, so they read as the msgid; Babel writes an
    empty plural form as the English msgid or msgid_plural.
    """
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return _gettext.GNUTranslations(mo)


@functools.cache
def translations(locale: str) -> _gettext.GNUTranslations:
    """The compiled catalog of `locale`, built on first use and cached for the process.

    Raises:
        ValueError: when `locale` is not one of `SUPPORTED`.
    """
    if locale not in SUPPORTED:
        raise ValueError(f"unsupported locale {locale!r}; expected one of {SUPPORTED}")
    return compile_catalog(read_catalog(locale))
