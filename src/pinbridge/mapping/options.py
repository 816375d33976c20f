"""What a user can change about the mapping, as plain data.

The configuration loader fills this from the TOML file; :class:`pinbridge.mapping.Mapper`
validates it (raising :class:`pinbridge.errors.ConfigError` naming the bad key) and
compiles it into the field table it applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["MappingOptions"]

_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True)
class MappingOptions:
    """The mapping-related parts of the configuration (sections 2, 4.3, 6 and 7 of the spec).

    ``events`` is the raw ``[events]`` table and ``fields`` the raw ``[mapping]`` table,
    exactly as read from TOML; the mapper validates both. ``config_prefix`` says where these
    keys live, for error messages: empty for pinbridge.toml's own sections (``[mapping]
    'user_data.foo'``), or a destination's table such as ``destinations.fr.`` (messages then
    give full TOML keys: ``destinations.fr.mapping."user_data.foo"``,
    ``destinations.fr.partner_name``).
    """

    events: Mapping[str, object] = field(default_factory=lambda: _EMPTY)
    fields: Mapping[str, object] = field(default_factory=lambda: _EMPTY)
    unmapped_events: str = "filter"
    consent_categories: tuple[str, ...] = ()
    click_id_cookie_name: str = "_epik"
    partner_name: str | None = None
    config_prefix: str = ""
