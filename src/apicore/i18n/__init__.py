"""Languages of the returnee services: kk, ru, ar, with en as the fallback.

`LocaleMiddleware` negotiates the request's language and sets it here; messages are marked with
`_l` (translated when rendered), `gettext` and `ngettext`. Catalogs are the `.po` files under
`locales/`, compiled in process at first use; `python -m apicore.i18n update` adds new msgids
to them and `python -m apicore.i18n check` lists what is left to translate.
"""

from apicore.i18n.catalogs import translations
from apicore.i18n.context import (
    current_locale,
    reset_locale,
    resolve_locale,
    set_locale,
    use_locale,
)
from apicore.i18n.dates import format_date
from apicore.i18n.maintenance import SourceMessage, extract_messages
from apicore.i18n.messages import (
    LazyPluralText,
    LazyText,
    _l,
    _nl,
    gettext,
    ngettext,
    placeholders,
)
from apicore.i18n.negotiation import DEFAULT_LOCALE, SUPPORTED, negotiate_locale

__all__ = [
    "DEFAULT_LOCALE",
    "SUPPORTED",
    "LazyPluralText",
    "LazyText",
    "SourceMessage",
    "_l",
    "_nl",
    "current_locale",
    "extract_messages",
    "format_date",
    "gettext",
    "negotiate_locale",
    "ngettext",
    "placeholders",
    "reset_locale",
    "resolve_locale",
    "set_locale",
    "translations",
    "use_locale",
]
