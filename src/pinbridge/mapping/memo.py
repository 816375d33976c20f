"""A small per-Mapper memo for hashed fields whose values repeat across users.

Country, gender, city, state and zip code take few distinct values, yet each costs a
normalisation and a SHA-256 per event. Their rule's output for one text value depends
only on that text (and, for state and zip code, on the user's country), so it is kept in
an in-memory dict owned by one Mapper, capped at :data:`LIMIT` entries and emptied when
full. Emails, phones, names, birthdates and ids are never memoised: they are near-unique
per user, so a memo would only keep clear-text personal data in memory longer.
The memo is never written anywhere; results are identical with or without it.
"""

from __future__ import annotations

from pinbridge.mapping.context import EventContext, Rule

__all__ = ["LIMIT", "memoised", "memoised_rules"]

LIMIT = 4096
MEMOISED: dict[str, bool] = {
    "user_data.ge": False,
    "user_data.ct": False,
    "user_data.st": True,
    "user_data.zp": True,
    "user_data.country": False,
}
"""The low-cardinality hashed targets, and whether their rule reads the user's country."""

_MISSING = object()


def memoised(rule: Rule, by_country: bool, limit: int = LIMIT) -> Rule:
    """``rule`` with its result for one text value remembered (lists are not memoised)."""
    cache: dict[object, object] = {}

    def memo_rule(value: object, ctx: EventContext) -> object:
        if type(value) is not str:
            return rule(value, ctx)
        key = (value, ctx.country()) if by_country else value
        found = cache.get(key, _MISSING)
        if found is _MISSING:
            found = rule(value, ctx)
            if len(cache) >= limit:
                cache.clear()
            cache[key] = found
        # A fresh list each time: mapped events never share a mutable value.
        return [*found] if type(found) is list else found

    return memo_rule


def memoised_rules(rules: dict[str, Rule]) -> dict[str, Rule]:
    """A memoised rule for each low-cardinality target of ``rules`` (target -> rule)."""
    return {
        target: memoised(rule, MEMOISED[target])
        for target, rule in rules.items()
        if target in MEMOISED
    }
