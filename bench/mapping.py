"""Benchmark: mapping cost versus an orjson parse + serialise round trip of the same events.

A deterministic mixed corpus (purchase with 3 items and full identity including a phone,
page_view, add_to_cart from an app, search, lead), one unique user per event. Prints JSON:
events per second on one core for the mapping and for the round trip, and their ratio
(mapping time / round-trip time; target <= 6), and which mapping modules run compiled
(setup.py; PINBRIDGE_PURE_PYTHON=1 runs the pure-Python ones).

    .venv/bin/python bench/mapping.py [--events 5000] [--repeat 9] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import platform
import pstats
import random
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson

from pinbridge import native
from pinbridge.mapping import Mapped, Mapper

TARGET_RATIO = 6.0
KINDS = ("purchase", "page_view", "add_to_cart", "search", "generate_lead")
_FIRST = ("Camille", "Léa", "Noah", "Jules", "Emma", "Louis", "Chloé", "Hugo", "Inès", "Adam")
_LAST = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand")
_CITIES = (
    ("Paris", "75001", "FR"),
    ("Saint-Étienne", "42000", "FR"),
    ("Lyon", "69002", "FR"),
    ("San Francisco", "94105-1804", "US"),
    ("Austin", "73301", "US"),
)
_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)


def _identity(rng: random.Random, n: int) -> dict[str, Any]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    city, zipcode, country = rng.choice(_CITIES)
    pairs = " ".join(f"{rng.randrange(100):02d}" for _ in range(3))
    national = f"0{rng.choice('67')} {n % 100:02d} {pairs}"
    phone = national if country == "FR" else f"+1 415 555 {n % 10000:04d}"
    born = (rng.randrange(50, 99), rng.randrange(1, 13), rng.randrange(1, 29))
    return {
        "id": f"C-{n:07d}",
        "email": f" {first}.{last}.{n}@Example.com ",
        "phone": phone,
        "firstname": first,
        "lastname": last,
        "gender": rng.choice(["female", "male", "F", "M"]),
        "birthdate": f"19{born[0]}-{born[1]:02d}-{born[2]:02d}",
        "city": city,
        "zipcode": zipcode,
        "state": "California" if country == "US" else None,
        "country": country,
        "consent_categories": ["1", "4"],
    }


def _device(n: int) -> dict[str, Any]:
    return {
        "ip": f"198.51.{n // 250 % 250}.{n % 250 + 1}",
        "user_agent": _AGENT,
        "lang": "fr-FR",
        "cookie": f"CAID={n}; _epik=dj0yJnU9{n:08d}%3D%3D; _ga=GA1.2.3.4",
    }


def _event(kind: str, n: int, rng: random.Random) -> dict[str, Any]:
    context: dict[str, Any] = {"event_id": f"evt-{n:08d}", "event_timestamp": 1795856400000 + n}
    event: dict[str, Any] = {"event_name": kind, "context": context}
    if kind == "purchase":
        prices = [round(rng.uniform(3, 90), 2) for _ in range(3)]
        event |= {
            "id": f"ORD-{n}",
            "currency": "eur",
            "value": round(sum(prices), 2),
            "items": [
                {
                    "id": f"SKU-{n}-{i}",
                    "quantity": rng.randrange(1, 4),
                    "product": {
                        "id": str(4400 + i),
                        "name": f"Product {i}",
                        "price": price,
                        "category_1": "tea",
                        "brand": "Leafworks",
                    },
                }
                for i, price in enumerate(prices)
            ],
            "user": _identity(rng, n),
            "partners": {"pinterest": {"opt_out": "false"}},
        }
        context |= {
            "page": {"url": f"https://shop.example.fr/checkout?order={n}"},
            "device": _device(n),
        }
    elif kind == "page_view":
        event |= {
            "url": f"https://shop.example.fr/p/{n}?epik=dj0yJnU9{n:06d}",
            "user": {"consent_categories": [1, 4]},
        }
        context |= {"page": {"url": event["url"]}, "device": _device(n)}
    elif kind == "add_to_cart":
        event |= {
            "currency": "USD",
            "value": "24.00",
            "items": [
                {
                    "id": f"SKU-{n}",
                    "quantity": "1",
                    "product": {"name": "Blue mug", "price": "24.00"},
                }
            ],
            "user": {"id": f"u-{n}", "email_sha256": f"{n:064x}".upper()},
        }
        context |= {
            "app": {"name": "Leafworks", "namespace": "com.example.leafworks", "version": "5.2.1"},
            "device": {
                "manufacturer": "Google",
                "model": "Pixel 9",
                "type": "android",
                "os": {"name": "Android", "version": "15"},
                "network": {"carrier": "T-Mobile", "wifi": "true"},
                "language": "en-US",
                "advertising_id": f"38400000-8CF0-11BD-B23E-{n:012X}",
            },
        }
    elif kind == "search":
        event |= {"search_term": f"matcha {n}"}
        context |= {"page": {"url": f"https://shop.example.fr/search?q={n}"}, "device": _device(n)}
    else:
        event |= {
            "id": f"LEAD-{n}",
            "type": "offline",
            "value": "1500,00",
            "currency": "EUR",
            "user": {
                "email": f"lead.{n}@example.org",
                "lastname": rng.choice(_LAST),
                "phone": f"+33 (0)7 81 {n % 100:02d} {n // 100 % 100:02d} 44",
            },
            "partners": {"pinterest": {"opt_out_type": ["LDP"]}},
        }
    return event


def corpus(size: int, seed: int = 20261128) -> list[bytes]:
    """``size`` events, the five kinds in turn, as NDJSON lines (bytes)."""
    rng = random.Random(seed)
    return [orjson.dumps(_event(KINDS[n % len(KINDS)], n, rng)) for n in range(size)]


def _best_of(runs: tuple[Callable[[], object], ...], repeat: int) -> list[float]:
    """Best (lowest) process CPU time of each run, interleaved so that load from other
    processes on a shared machine affects every run alike."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for position, run in enumerate(runs):
            gc.collect()
            start = time.process_time()
            run()
            best[position] = min(best[position], time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the mapping to stderr"
    )
    args = parser.parse_args(argv)

    lines = corpus(args.events)
    parsed = [orjson.loads(line) for line in lines]
    mapper = Mapper()
    results = [mapper.map(raw, 1795856500) for raw in parsed]  # warm caches; check the corpus
    mapped = sum(isinstance(r, Mapped) for r in results)
    assert mapped == len(parsed), "every benchmark event should map"

    def round_trip(lines: list[bytes] = lines) -> None:
        for line in lines:
            orjson.dumps(orjson.loads(line))

    def mapping(events: list[Any] = parsed) -> None:
        for raw in events:
            mapper.map(raw, 1795856500)

    trip, cost = _best_of((round_trip, mapping), args.repeat)
    by_kind = {}
    for position, kind in enumerate(KINDS):
        some_lines, some = lines[position :: len(KINDS)], parsed[position :: len(KINDS)]
        kind_trip, kind_cost = _best_of(
            (partial(round_trip, some_lines), partial(mapping, some)), args.repeat
        )
        by_kind[kind] = {
            "mapping_us_per_event": round(kind_cost / len(some) * 1e6, 2),
            "roundtrip_us_per_event": round(kind_trip / len(some) * 1e6, 2),
            "ratio": round(kind_cost / kind_trip, 2),
        }
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(mapping)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue(), file=sys.stderr)
    report = {
        "benchmark": "mapping",
        "events": len(parsed),
        "mix": {kind: len(parsed) // len(KINDS) for kind in KINDS},
        "mapping_events_per_second": round(len(parsed) / cost),
        "roundtrip_events_per_second": round(len(parsed) / trip),
        "mapping_us_per_event": round(cost / len(parsed) * 1e6, 2),
        "roundtrip_us_per_event": round(trip / len(parsed) * 1e6, 2),
        "ratio": round(cost / trip, 2),
        "target_ratio": TARGET_RATIO,
        "by_kind": by_kind,
        "within_target": cost / trip <= TARGET_RATIO,
        "compiled": native.compiled(),  # mapping modules running mypyc-compiled code
        "clock": "process CPU time, best of --repeat interleaved runs",
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
