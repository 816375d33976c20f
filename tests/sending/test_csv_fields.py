"""CSV columns the mapping never reads: one warning, with the closest path it does read."""

from __future__ import annotations

from pathlib import Path

from pinbridge.mapping import MappingOptions
from pinbridge.sending.csv_fields import known_paths, unknown_columns_note
from tests.sending.helpers import run_send, write_config

KNOWN = known_paths(MappingOptions())


def test_columns_the_mapping_reads_give_no_warning() -> None:
    columns = [
        "event_name",
        "context.event_id",
        "user.email",
        "items.0.id",
        "items.12.product.name",
        "user.consent_categories.0",
        "context.device.cookie",
    ]
    assert unknown_columns_note("orders.csv", columns, KNOWN) is None


def test_each_unknown_column_is_named_with_the_closest_known_path() -> None:
    note = unknown_columns_note(
        "orders.csv",
        ["event_name", "Email", "items.3.prodct.name", "contxt.event_id", "zzz"],
        KNOWN,
    )
    assert note == (
        "pinbridge send: warning: orders.csv header: 4 columns match no event path the "
        "mapping reads, so the values go nowhere: 'Email' (did you mean user.email?), "
        "'items.3.prodct.name' (did you mean items.3.product.name?), 'contxt.event_id' "
        "(did you mean context.event_id?), 'zzz'; rename to an event path such as user.email "
        "(see docs/mapping.md), or map it with [mapping] in the config"
    )


def test_sources_of_smart_mapping_are_known() -> None:
    options = MappingOptions(
        fields={"custom_data.value": "revenue", "user_data.em": ["crm.mail", "user.email"]}
    )
    known = known_paths(options)
    assert unknown_columns_note("a.csv", ["revenue", "crm.mail"], known) is None
    assert unknown_columns_note("a.csv", ["revenue"], KNOWN) is not None


def test_send_warns_once_before_sending(tmp_path: Path) -> None:
    config = write_config(tmp_path / "pinbridge.toml", None, credentials=False)
    source = tmp_path / "orders.csv"
    source.write_text(
        "event_name,context.event_id,Email,Phone\n"
        "purchase,o-1,a@example.com,+33 6 12 34 56 78\n"
        "purchase,o-2,b@example.com,+33 6 12 34 56 79\n"
    )

    result = run_send("--config", config, "--dry-run", "--json", source)

    assert result.status == 1  # no email was read: both events are invalid
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [
        f"pinbridge send: warning: {source} header: 2 columns match no event path the mapping "
        "reads, so the values go nowhere: 'Email' (did you mean user.email?), 'Phone' (did you "
        "mean user.phone?); rename to an event path such as user.email (see docs/mapping.md), "
        "or map it with [mapping] in the config"
    ]
