"""vCard text (2.1, 3.0, 4.0) → one row of fixed text columns per card, read card by card through ``vobject``.

Invariants:

- row ``i`` is the ``i``-th top-level card of the file (0-based); every row has the ``COLUMNS``, in that order,
  each a ``str`` ("" where the card has no such value);
- the file is read a line at a time (vobject's quoted-printable-aware reader): memory holds one card;
- properties not read here (PHOTO, LOGO, KEY, ADR, X-…) are blanked, continuation lines included, before
  vobject sees them: a photo is never decoded or kept, a broken property nobody reads breaks nothing, and
  the line numbers vobject reports stay the file's;
- every problem is one ``UsageError`` naming the file, the line (or the card) and the fix.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import vobject

from bulkcontacts.contacts.presets import VCARD_COLUMNS
from bulkcontacts.errors import UsageError

COLUMNS = VCARD_COLUMNS  # what the vcard preset maps
SEPARATOR = " ::: "  # between the values of a multi-value cell (phone)
READ = frozenset({"BEGIN", "END", "VERSION", "FN", "N", "TEL", "EMAIL", "ORG", "CATEGORIES", "NOTE", "X-ABLABEL"})
MOBILE_TYPES = frozenset({"CELL", "MOBILE", "IPHONE"})
MOBILE_LABELS = ("mobile", "cell", "iphone")  # Apple's item1.X-ABLabel:_$!<Mobile>!$_ for item1.TEL
PROPERTY = re.compile(r"(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)[;:]")
FIX = "fix or remove the card (BEGIN:VCARD, lines of NAME:value, END:VCARD)"


class _Lines:
    """The file's lines as vobject reads them (``readline``), properties not in ``READ`` blanked with their
    folded and quoted-printable continuations, so the line count is the file's. Refuses text outside a card
    and a component that is not a vCard, and keeps the first line of each card not yet yielded."""

    def __init__(self, handle: TextIO, path: Path, encoding: str) -> None:
        self._handle = handle
        self._path = path
        self._encoding = encoding
        self.number = 0  # lines read
        self.begins: deque[int] = deque()  # the BEGIN:VCARD line of each card read but not yet yielded
        self._depth = 0
        self._dropping = False
        self._qp_line = False  # the property being read is quoted-printable
        self._qp_next = False  # ... and its last line ended with a soft break: the next line continues it

    def readline(self) -> str:
        try:
            line = self._handle.readline()
        except UnicodeDecodeError as error:
            raise UsageError(
                f"{self._path}, after line {self.number}: bytes that are not {self._encoding} ({error.reason}); "
                'set [source] encoding to the file\'s encoding (e.g. "cp1252")'
            ) from None
        if not line:
            return line
        self.number += 1
        body = line.rstrip("\r\n")
        if not body.strip():  # a blank line ends any property (as vobject reads it)
            self._dropping = self._qp_line = self._qp_next = False
            return line
        if body.startswith((" ", "\t")) or self._qp_next or (self._dropping and not PROPERTY.match(body)):
            self._qp_line = self._qp_line or "quoted-printable" in body.lower()
            self._qp_next = self._qp_line and body.endswith("=")
            return "\n" if self._dropping else line
        match = PROPERTY.match(body)
        name = match.group(1).upper() if match else None
        self._qp_line = "quoted-printable" in body.lower()
        self._qp_next = self._qp_line and body.endswith("=")
        if name == "BEGIN":
            self._begin(body)
        elif name == "END":
            self._depth = max(0, self._depth - 1)
        elif self._depth == 0:
            raise UsageError(
                f"{self._path}, line {self.number}: {body[:40]!r} is outside a card; every line of a vCard file "
                "belongs between BEGIN:VCARD and END:VCARD (is this a vCard file?)"
            )
        self._dropping = name is not None and name not in READ
        return "\n" if self._dropping else line

    def _begin(self, body: str) -> None:
        if self._depth == 0:
            kind = body.partition(":")[2].strip().upper()
            if kind != "VCARD":
                raise UsageError(
                    f"{self._path}, line {self.number}: BEGIN:{kind} where a card (BEGIN:VCARD) should begin; "
                    "a vCard source holds only vCards"
                )
            self.begins.append(self.number)
        self._depth += 1


def rows(handle: TextIO, path: Path, encoding: str) -> Iterator[tuple[str, ...]]:
    """Each card's row (values in ``COLUMNS`` order), in file order. ``handle`` is the file as text, any
    byte-order mark already dropped; ``path`` and ``encoding`` are for the messages. A file without a card
    is refused."""
    lines = _Lines(handle, path, encoding)
    cards = vobject.readComponents(lines, allowQP=True)
    count = 0
    while True:
        try:
            card = next(cards, None)
            if card is None:
                break
            row = _row(card)
        except UsageError:
            raise
        except vobject.base.VObjectError as error:
            line = max(1, getattr(error, "lineNumber", None) or lines.number)
            raise UsageError(f"{path}, line {line} (card {count + 1}): {error.msg}; {FIX}") from None
        except Exception as error:  # vobject's errors on a malformed value are of any type (binascii, Lookup...)
            begin = lines.begins[0] if lines.begins else lines.number
            raise UsageError(f"{path}, card {count + 1} (from line {begin}): {_reason(error)}; {FIX}") from None
        if lines.begins:
            lines.begins.popleft()
        yield row
        count += 1
    if count == 0:
        raise UsageError(
            f"{path}: no vCard (BEGIN:VCARD) found; point [source] path at a .vcf export, or set [source] format"
        )


def _row(card: Any) -> tuple[str, ...]:
    """One card's values; a card without a name or phone still makes its row (the mapping rejects it)."""
    contents: dict[str, list[Any]] = card.contents
    name = next((line.value for line in contents.get("n", []) if isinstance(line.value, vobject.vcard.Name)), None)
    first = _text(name.given) if name is not None else ""
    last = _text(name.family) if name is not None else ""
    full = next((text for line in contents.get("fn", []) if (text := _text(line.value))), "")
    return (
        full or " ".join(part for part in (first, last) if part),
        first,
        last,
        SEPARATOR.join(_phones(contents)),
        _email(contents.get("email", [])),
        next((text for line in contents.get("org", []) if (text := _first_component(line.value))), ""),
        ",".join(_tags(contents.get("categories", []))),
        "\n".join(text for line in contents.get("note", []) if (text := _text(line.value).replace("\r\n", "\n"))),
    )


def _phones(contents: dict[str, list[Any]]) -> list[str]:
    """Every TEL value, mobile ones (TYPE CELL/MOBILE/IPHONE, or an Apple label saying so) first, each group
    in file order; a vCard 4.0 ``tel:`` URI becomes its number (``;ext=`` kept as `` ext. ``)."""
    labels = {line.group.lower(): _text(line.value).lower() for line in contents.get("x-ablabel", []) if line.group}
    mobile: list[str] = []
    other: list[str] = []
    for line in contents.get("tel", []):
        number = _number(_text(line.value))
        if not number:
            continue
        label = labels.get((line.group or "").lower(), "")
        is_mobile = bool(_types(line) & MOBILE_TYPES) or any(word in label for word in MOBILE_LABELS)
        (mobile if is_mobile else other).append(number)
    return mobile + other


def _number(value: str) -> str:
    if value[:4].lower() != "tel:":
        return value
    number, *parameters = value[4:].split(";")
    extension = next((part[4:] for part in parameters if part.lower().startswith("ext=")), "")
    return f"{number} ext. {extension}" if extension else number


def _email(lines: list[Any]) -> str:
    """The preferred EMAIL (TYPE=PREF, or a PREF parameter in vCard 4.0), else the first: one address, as the
    mapping checks the cell as a single address."""
    found = [(line, address) for line in lines if (address := _text(line.value).removeprefix("mailto:"))]
    preferred = [address for line, address in found if "PREF" in _types(line) or "PREF" in line.params]
    return preferred[0] if preferred else (found[0][1] if found else "")


def _tags(lines: list[Any]) -> list[str]:
    tags: dict[str, None] = {}
    for line in lines:
        values = line.value if isinstance(line.value, list) else str(line.value).split(",")
        tags.update(dict.fromkeys(text for value in values if (text := _text(value))))
    return list(tags)


def _types(line: Any) -> set[str]:
    """TYPE values however written: ``TYPE=CELL,VOICE`` (3.0), ``TYPE="cell,voice"`` (4.0), bare ``CELL`` (2.1)."""
    values = [*line.params.get("TYPE", []), *line.singletonparams]
    return {kind.strip().upper() for value in values for kind in str(value).split(",")}


def _first_component(value: Any) -> str:
    return _text(value[0] if isinstance(value, list) and value else value)


def _text(value: Any) -> str:
    """A value as one stripped string; a list (a name part given twice, ``Anna,Maria``) joined by spaces."""
    if isinstance(value, list | tuple):
        return " ".join(text for part in value if (text := _text(part)))
    return "" if value is None else str(value).strip()


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
