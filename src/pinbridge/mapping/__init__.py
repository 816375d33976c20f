"""Pure mapping from Commanders Act events to Pinterest Conversions API events.

Nothing in this package touches a clock, the network, a disk, the environment or global
state: the receive time is an argument. See ``docs/mapping.md``.
"""

from pinbridge.mapping.mapper import Mapper
from pinbridge.mapping.options import MappingOptions
from pinbridge.mapping.results import Filtered, Invalid, Mapped, MappingResult, result_as_dict

__all__ = [
    "Filtered",
    "Invalid",
    "Mapped",
    "Mapper",
    "MappingOptions",
    "MappingResult",
    "result_as_dict",
]
