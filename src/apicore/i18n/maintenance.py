"""Keep the catalogs in step with the code: extract msgids, add the missing ones, list gaps.

    python -m apicore.i18n update [SRC_DIR ...]   # add new msgids (empty) to every .po
    python -m apicore.i18n check [SRC_DIR ...]    # exit 1 listing what is not translated

Both read `src/` when no directory is given. `update` keeps every translation, deletes nothing
and marks nothing fuzzy; a developer then fills in the empty msgstr lines.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import PoFileError, write_po

from apicore.i18n.catalogs import LOCALES_DIR, po_path, read_catalog
from apicore.i18n.messages import placeholders
from apicore.i18n.negotiation import DEFAULT_LOCALE, SUPPORTED

# Babel's argument specs: which positional arguments are the msgid and msgid_plural.
KEYWORDS: Final[dict[str, tuple[int, ...] | None]] = {
    "_l": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_nl": (1, 2),
}
TRANSLATED: Final = tuple(code for code in SUPPORTED if code != DEFAULT_LOCALE)
# Gettext forms per language (DOMAIN.md): CLDR categories folded into what integers need.
NPLURALS: Final = {"kk": 2, "ru": 3, "ar": 6, "en": 2}
SRC_DIR: Final = Path(__file__).resolve().parents[2]
_COMMENT_TAGS: Final = ("Translators:",)


@dataclass(frozen=True, slots=True)
class SourceMessage:
    """A msgid found in the code, with where it is used and any `# Translators:` comments."""

    msgid: str
    msgid_plural: str | None
    locations: tuple[str, ...]
    comments: tuple[str, ...]


def _wanted_dir(path: str) -> bool:
    # Babel's default filter also skips every directory starting with "_" (a `_internal`
    # package would go unextracted); skip only hidden directories and byte-code caches.
    name = os.path.basename(path)
    return not name.startswith(".") and name != "__pycache__"


def extract_messages(paths: Sequence[Path]) -> dict[str, SourceMessage]:
    """Find every message marked with `_l`, `_nl`, `gettext` or `ngettext` in Python sources.

    Args:
        paths: directories searched recursively for `*.py`.

    Returns:
        Messages by msgid, in order of first use. A msgid used both as a singular and a plural
        message is kept as the plural one. Non-literal arguments are skipped (Babel writes a
        warning to stderr for f-strings and empty strings).
    """
    found: dict[str, SourceMessage] = {}
    for root in paths:
        results = extract_from_dir(
            root,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=_COMMENT_TAGS,
            strip_comment_tags=True,
            directory_filter=_wanted_dir,
        )
        for filename, lineno, message, comments, _context in results:
            msgid, plural = (message, None) if isinstance(message, str) else message[:2]
            where = f"{root.resolve().name}/{filename}:{lineno}"
            before = found.get(msgid)
            if before is None:
                found[msgid] = SourceMessage(msgid, plural, (where,), tuple(comments))
            else:
                found[msgid] = SourceMessage(
                    msgid,
                    before.msgid_plural or plural,
                    (*before.locations, where),
                    tuple(dict.fromkeys((*before.comments, *comments))),
                )
    return found


def _forms(string: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if string is None:
        return ("",)
    return (string,) if isinstance(string, str) else tuple(string)


def catalog_problems(
    messages: Mapping[str, SourceMessage],
    locales_dir: Path = LOCALES_DIR,
    languages: Sequence[str] = SUPPORTED,
) -> list[str]:
    """Everything that keeps the catalogs from covering `messages`, one line each.

    Reports, per language: a wrong `Plural-Forms` count; a msgid missing from the catalog or
    with an empty or fuzzy translation (not for `en`, where that means "as written"); a
    singular entry for a plural message or the reverse; a translation whose `{placeholders}`
    differ from its msgid's. Placeholders are checked for every entry, also for ones no longer
    in the code.
    """
    problems: list[str] = []
    for lang in languages:
        try:
            catalog = read_catalog(lang, locales_dir)
        except PoFileError as exc:
            problems.append(f"{lang}: cannot read {po_path(lang, locales_dir).name}: {exc}")
            continue
        if catalog.num_plurals != NPLURALS[lang]:
            problems.append(
                f"{lang}: Plural-Forms has nplurals={catalog.num_plurals}, expected {NPLURALS[lang]}"
            )
        for source in messages.values():
            entry = catalog.get(source.msgid)
            where = source.locations[0]
            if entry is None:
                if lang != DEFAULT_LOCALE:  # an absent English entry reads as written
                    problems.append(f"{lang}: missing {source.msgid!r} ({where})")
                continue
            is_plural = isinstance(entry.id, tuple)
            if is_plural != (source.msgid_plural is not None):
                kind = "plural" if is_plural else "singular"
                problems.append(f"{lang}: {source.msgid!r} is {kind} in the catalog ({where})")
            elif lang != DEFAULT_LOCALE and (entry.fuzzy or not all(_forms(entry.string))):
                state = "fuzzy" if entry.fuzzy else "empty"
                problems.append(f"{lang}: {state} translation of {source.msgid!r} ({where})")
        for entry in list(catalog)[1:]:
            problems.extend(f"{lang}: {p}" for p in _entry_problems(entry.id, entry.string))
    return problems


def _entry_problems(
    msgid: str | tuple[str, ...] | list[str],
    string: str | tuple[str, ...] | list[str] | None,
) -> list[str]:
    ids = _forms(msgid)
    forms = _forms(string)
    try:
        expected = frozenset().union(*(placeholders(i) for i in ids))
    except ValueError as exc:
        return [f"msgid {ids[0]!r}: {exc}"]
    problems = []
    for i, form in enumerate(forms):
        if not form:
            continue
        try:
            got = placeholders(form)
        except ValueError as exc:
            problems.append(f"translation of {ids[0]!r}: {exc}")
            continue
        if got != expected:
            label = f"form {i} of " if len(ids) > 1 else ""
            problems.append(
                f"{label}translation of {ids[0]!r} has placeholders {sorted(got)}, "
                f"msgid has {sorted(expected)}"
            )
    return problems


def update_catalogs(
    messages: Mapping[str, SourceMessage],
    locales_dir: Path = LOCALES_DIR,
    languages: Sequence[str] = SUPPORTED,
) -> dict[str, list[str]]:
    """Add every msgid of `messages` that a catalog lacks, with an empty translation.

    Existing entries, their translations and flags are left alone; nothing is deleted or marked
    fuzzy. A file is rewritten only when something was added.

    Returns:
        The msgids added, by language.
    """
    added: dict[str, list[str]] = {}
    for lang in languages:
        catalog = read_catalog(lang, locales_dir)
        new = [m for m in messages.values() if m.msgid not in catalog]
        for m in new:
            _add_empty(catalog, m)
        if new:
            _write_catalog(catalog, po_path(lang, locales_dir))
        added[lang] = [m.msgid for m in new]
    return added


def _add_empty(catalog: Catalog, message: SourceMessage) -> None:
    if message.msgid_plural is None:
        catalog.add(message.msgid, "", auto_comments=message.comments)
    else:
        catalog.add(
            (message.msgid, message.msgid_plural),
            ("",) * catalog.num_plurals,
            auto_comments=message.comments,
        )


def _write_catalog(catalog: Catalog, path: Path) -> None:
    with path.open("wb") as f:
        write_po(f, catalog, width=100)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `update` or `check` (see the module docstring); return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m apicore.i18n",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=("update", "check"))
    parser.add_argument("sources", nargs="*", type=Path, help=f"default: {SRC_DIR}")
    parser.add_argument("--locales", type=Path, default=LOCALES_DIR, help="catalog directory")
    args = parser.parse_args(argv)
    messages = extract_messages(args.sources or [SRC_DIR])
    out = sys.stdout
    if args.command == "update":
        for lang, msgids in update_catalogs(messages, args.locales).items():
            out.write(f"{lang}: {len(msgids)} msgid(s) added\n")
            out.writelines(f"  {msgid!r}\n" for msgid in msgids)
        return 0
    problems = catalog_problems(messages, args.locales)
    out.writelines(f"{p}\n" for p in problems)
    out.write(f"{len(messages)} messages in the code, {len(problems)} problem(s)\n")
    return 1 if problems else 0
