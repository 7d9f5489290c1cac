"""Issue 17: text stored when it is written and read later by someone else — audit records
(A4), ledger memos (B13), budget alerts (F7) — keeps what was meant, and is rendered in the
reader's language when it is read.

A writer passes a `Msg` where it used to pass `_("…") % {…}`:

    audit_record(..., message=Msg(gettext_noop("Created policy %(name)s"), name=p.name))

The row keeps its text column, rendered in English (the source language: the Django admin,
search, the API and older code read it as before), and a `MsgField` with the message id and
its parameters. Reading renders `gettext(msgid) % params` in the language active then (a page,
a CSV export's `?lang=`); `shown(text, msg)` falls back to the stored text for rows without
a msgid (rows written before, text a user typed) and for a msgid whose parameters no longer fit.

A parameter may itself be translatable: a nested `Msg`, or a lazy label (a field's
`verbose_name`, a choice's label: `gettext_lazy`/`pgettext_lazy`), which becomes a nested
`Msg`; `Names(en, zh)` for a name an operator entered in both languages (the catalog's); a list
renders its items joined with the language's list separator. Other parameters
are kept as they were given (numbers) or as text (amounts, identifiers, names typed by users).
Plural forms: `Msg(singular, plural=…, count="n", n=3)` renders through `ngettext`.
A text of several lines (a message center notice listing the budget thresholds crossed) is a
list of `Msg`s and texts, one a line: `english`, `stored`, `shown` and `MsgField` take it.

Writers mark the msgid with `gettext_noop` so that makemessages extracts it; this module is the
kernel's, below organizations and billing, so both apps store and render the same way."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, npgettext, pgettext


class Msg:
    """A translatable message and its parameters: what was meant, in no language yet."""

    __slots__ = ("context", "count", "msgid", "params", "plural")

    def __init__(
        self,
        msgid: str,
        /,
        *,
        plural: str = "",
        count: str = "",
        context: str = "",
        **params: Any,
    ):
        if not msgid:
            raise ValueError("a Msg needs a msgid (gettext of an empty one is the header)")
        if plural and count not in params:
            raise ValueError("a plural Msg names its count parameter")
        self.msgid = str(msgid)
        self.plural = plural
        self.count = count
        self.context = context
        self.params = {key: _param(value) for key, value in params.items()}

    @classmethod
    def of(cls, label: Promise | str | Msg) -> Msg | str:
        """A lazy translatable label (`gettext_lazy`, `pgettext_lazy`) as a `Msg`; other text
        as it is."""
        if isinstance(label, Msg | str):
            return label
        # A lazy proxy pickles as (the translation function, its arguments): the msgid.
        _unpickle, (func, args, kwargs, *_rest) = label.__reduce__()
        if func is gettext and len(args) == 1 and not kwargs:
            return cls(args[0])
        if func is pgettext and len(args) == 2 and not kwargs:
            return cls(args[1], context=args[0])
        raise TypeError(f"not a translatable label: {label!r}")

    def render(self) -> str:
        """The message in the active language."""
        if self.plural:
            n = self.params[self.count]
            text = (
                npgettext(self.context, self.msgid, self.plural, n)
                if self.context
                else ngettext(self.msgid, self.plural, n)
            )
        elif self.context:
            text = pgettext(self.context, self.msgid)
        else:
            text = gettext(self.msgid)
        if not self.params:
            return text
        return text % {key: _rendered(value) for key, value in self.params.items()}

    def english(self) -> str:
        """The message in the source language: what the text column keeps."""
        with translation.override("en"):
            return self.render()

    __str__ = render

    def to_json(self) -> dict:
        data: dict[str, Any] = {"id": self.msgid}
        if self.params:
            data["args"] = {key: _encoded(value) for key, value in self.params.items()}
        for key in ("plural", "count", "context"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_json(cls, data: dict) -> Msg:
        params = {key: _decoded(value) for key, value in data.get("args", {}).items()}
        return cls(
            data["id"],
            plural=data.get("plural", ""),
            count=data.get("count", ""),
            context=data.get("context", ""),
            **params,
        )

    def __eq__(self, other):
        return isinstance(other, Msg) and self.to_json() == other.to_json()

    def __hash__(self):
        return hash(self.msgid)

    def __repr__(self):
        return f"Msg({self.msgid!r}, {self.params!r})"


class Names:
    """A name an operator entered in English and Chinese (a catalog row's `name` and
    `name_zh`): not a msgid, but read in the reader's language all the same, the English one
    when the Chinese one is blank."""

    __slots__ = ("en", "zh")

    def __init__(self, en: str, zh: str = ""):
        self.en, self.zh = str(en), str(zh or "")

    def render(self) -> str:
        chinese = (translation.get_language() or "").lower().startswith("zh")
        return self.zh if chinese and self.zh else self.en

    __str__ = render

    def to_json(self) -> dict:
        return {"en": self.en, "zh": self.zh}

    def __eq__(self, other):
        return isinstance(other, Names) and (self.en, self.zh) == (other.en, other.zh)

    def __hash__(self):
        return hash(self.en)

    def __repr__(self):
        return f"Names({self.en!r}, {self.zh!r})"


def _param(value):
    if isinstance(value, Msg | Names | str | int | None):  # bool is an int
        return value
    if isinstance(value, Promise):
        try:
            return Msg.of(value)
        except TypeError:  # a lazy text that is not a plain label (format_lazy): as it reads now
            return str(value)
    if isinstance(value, list | tuple):
        return [_param(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _rendered(value):
    if isinstance(value, Msg | Names):
        return value.render()
    if isinstance(value, list):
        # Translators: joins the items of a list inside a sentence (", " in English)
        return pgettext("list separator", ", ").join(str(_rendered(item)) for item in value)
    return value


def _encoded(value):
    if isinstance(value, Msg | Names):
        return value.to_json()
    if isinstance(value, list):
        return [_encoded(item) for item in value]
    return value


def _decoded(value):
    if isinstance(value, dict):
        return Msg.from_json(value) if "id" in value else Names(value["en"], value.get("zh", ""))
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


Lines = list[Msg | str]


def english(text: str | Msg | Lines) -> str:
    """What a text column keeps: a `Msg` in English, lines joined by newlines, other text as
    it is."""
    if isinstance(text, list):
        return "\n".join(english(line) for line in text)
    return text.english() if isinstance(text, Msg) else text


def stored(text: str | Msg | Lines) -> Msg | Lines | None:
    """What a `MsgField` keeps: the `Msg` (or lines holding one), or nothing for text that was
    given as text."""
    if isinstance(text, list):
        return text if any(isinstance(line, Msg) for line in text) else None
    return text if isinstance(text, Msg) else None


def shown(text: str, msg: Msg | Lines | None) -> str:
    """What a reader sees: the message in the reader's language, else the stored text (rows
    without a msgid, and any whose msgid no longer takes the parameters it was stored with)."""
    if msg is None:
        return text
    try:
        if isinstance(msg, list):
            return "\n".join(line.render() if isinstance(line, Msg) else line for line in msg)
        return msg.render()
    except (KeyError, ValueError, TypeError):
        return text


def _from_json(value):
    if isinstance(value, dict) and "id" in value:
        return Msg.from_json(value)
    if isinstance(value, list):  # lines: each a Msg or a text
        return [_from_json(line) for line in value]
    return value


class MsgField(models.JSONField):
    """A `Msg` stored as JSON (`{"id": msgid, "args": {...}}`), read back as a `Msg`; lines
    as a JSON list of those and texts."""

    def from_db_value(self, value, expression, connection):
        return _from_json(super().from_db_value(value, expression, connection))

    def get_prep_value(self, value):
        if isinstance(value, Msg):
            value = value.to_json()
        elif isinstance(value, list):
            value = [line.to_json() if isinstance(line, Msg) else line for line in value]
        return super().get_prep_value(value)

    def to_python(self, value):
        return _from_json(value)
