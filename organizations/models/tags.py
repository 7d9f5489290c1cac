"""F11 tags ("categorized account management"; TCO's `Tags` on members and nodes).

A `TagSet` is an immutable, canonical set of at most 10 key/value pairs, stored once per
distinct set (`digest` is unique). A member or department points at its current set; editing
tags points it at another set and never changes a set in place. Bill lines copy the owner's
set at the moment they are written (F5), so spend follows the tags a member had when the
spend happened, and a rollup rebuilt from the lines gives the same answer.
"""

from __future__ import annotations

import hashlib
import json
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

MAX_TAGS = 10  # tco-api.md: Tags on a member or node, at most 10
KEY_MAX = 127
VALUE_MAX = 255
# Tencent tag keys and values: letters, digits, spaces, CJK and + - = . _ : / @
TAG_CHARS = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff +\-=._:/@]+$")
RESERVED_PREFIXES = ("qcs:", "project", "项目")


def canonical(pairs) -> list[list[str]]:
    """The pairs sorted by key, as lists (what is stored and hashed)."""
    return [[k, v] for k, v in sorted(dict(pairs).items())]


def validate_pairs(pairs) -> list[list[str]]:
    """F11: at most 10 pairs, keys unique, lengths and characters as Tencent Cloud tags.
    Raises ValidationError with a message that names the offending pair."""
    pairs = [(str(k).strip(), str(v).strip()) for k, v in pairs]
    if len(pairs) > MAX_TAGS:
        raise ValidationError(_("At most %(n)s tags per member or department.") % {"n": MAX_TAGS})
    seen = set()
    for key, value in pairs:
        if not key:
            raise ValidationError(_("A tag key cannot be empty."))
        if key in seen:
            raise ValidationError(_("The tag key “%(key)s” appears twice.") % {"key": key})
        seen.add(key)
        if len(key) > KEY_MAX:
            raise ValidationError(_("A tag key is at most %(n)s characters.") % {"n": KEY_MAX})
        if len(value) > VALUE_MAX:
            raise ValidationError(_("A tag value is at most %(n)s characters.") % {"n": VALUE_MAX})
        if key.lower().startswith(RESERVED_PREFIXES):
            raise ValidationError(_("The tag key “%(key)s” is reserved.") % {"key": key[:40]})
        for text in (key, value):
            if text and not TAG_CHARS.match(text):
                raise ValidationError(
                    _(
                        "Tags use letters, digits, spaces, Chinese characters and "
                        "+ - = . _ : / @ only."
                    )
                )
    return canonical(pairs)


class TagSetManager(models.Manager):
    def for_pairs(self, pairs) -> TagSet | None:
        """The stored set of these pairs (created the first time), or None for no tags.
        Safe under concurrency: two transactions creating the same set meet on `digest`."""
        tags = canonical(pairs)
        if not tags:
            return None
        digest = TagSet.digest_of(tags)
        found = self.filter(digest=digest).first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                return self.create(digest=digest, tags=tags)
        except IntegrityError:
            return self.get(digest=digest)


class TagSet(models.Model):
    digest = models.CharField(max_length=64, unique=True)
    tags = models.JSONField(_("tags"), default=list)

    objects = TagSetManager()

    class Meta:
        verbose_name = _("tag set")
        verbose_name_plural = _("tag sets")

    def __str__(self):
        return ", ".join(f"{k}:{v}" for k, v in self.tags)

    @staticmethod
    def digest_of(tags) -> str:
        return hashlib.sha256(
            json.dumps(canonical(tags), ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.tags}

    def value_of(self, key: str) -> str | None:
        return self.as_dict().get(key)


def filter_tagged(queryset, pairs):
    """F11: the rows of `queryset` (members or departments) whose tags hold every
    (key, value) pair; a value of None matches any value of the key. The organization uses
    few distinct tag sets: they are read in one query and matched here, so no JSON lookup
    (the same on SQLite and PostgreSQL)."""
    used = TagSet.objects.filter(pk__in=queryset.order_by().values("tag_set_id"))
    matching = []
    for ts in used.only("pk", "tags"):
        have = ts.as_dict()
        if all(k in have and (v is None or have[k] == v) for k, v in pairs):
            matching.append(ts.pk)
    return queryset.filter(tag_set_id__in=matching)
