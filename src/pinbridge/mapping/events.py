"""The event-name table (spec 2): Commanders Act ``event_name`` -> Pinterest ``event_name``.

Keys are matched trimmed and lower-cased. ``[events]`` in the configuration updates this
table (``false`` disables a name); the mapper compiles the result once.
"""

from __future__ import annotations

__all__ = ["EVENT_NAMES", "PINTEREST_EVENT_NAMES", "event_key"]


def _names(target: str, *sources: str) -> dict[str, str]:
    return dict.fromkeys(sources, target)


EVENT_NAMES: dict[str, str] = {
    **_names("page_visit", "page_view", "view_item"),
    **_names("checkout", "purchase", "buy", "pay", "payment"),
    **_names("add_to_cart", "add_to_cart", "addtocart"),
    **_names("search", "search", "find_location"),
    **_names("lead", "generate_lead", "submit_application", "contact"),
    **_names("signup", "sign_up", "signup", "completeregistration"),
    **_names("view_category", "view_item_list", "viewcategory", "viewcontent"),
    **_names("watch_video", "watch_video", "watchvideo"),
    **_names(
        "custom",
        "add_payment_info",
        "add_shipping_info",
        "add_to_wishlist",
        "begin_checkout",
        "login",
        "refund",
        "remove_from_cart",
        "select_content",
        "select_item",
        "view_cart",
        "select_promotion",
        "view_promotion",
    ),
}
"""The built-in (Commanders Act) table."""

PINTEREST_EVENT_NAMES: tuple[str, ...] = (
    # The API reference's list ...
    "add_payment_info",
    "add_to_cart",
    "add_to_wishlist",
    "app_install",
    "checkout",
    "custom",
    "initiate_checkout",
    "lead",
    "page_visit",
    "search",
    "signup",
    "subscribe",
    "view_category",
    "view_content",
    "watch_video",
    # ... and the names Pinterest's event documentation adds.
    "app_open",
    "contact",
    "customize_product",
    "find_location",
)
"""Every name a configuration may map an event to."""


def event_key(name: str) -> str:
    """How event names are matched: trimmed, lower case."""
    return name.strip().lower()
