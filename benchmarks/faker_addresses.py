"""Street-address recall on addresses Faker generates, per locale: a check beside the labelled sets.

Faker's address providers are where most synthetic PII corpora get their addresses; fresh ones,
seeded, in short sentences, show which address formats of which locales the detector misses. Each
locale gets ``--count`` addresses (every other one a full postal address, the others a street
line); the figure is the share of their non-space characters inside a ``detect_addresses`` span.

    python benchmarks/faker_addresses.py [--count 200] [--misses 5] [en_US fr_FR ...]
"""

from __future__ import annotations

import argparse
import random
import sys

from faker import Faker

from workgym.anonymize.addresses import detect_addresses

LOCALES = (
    "en_US", "en_GB", "en_CA", "en_AU", "en_IE", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH", "it_IT",
    "es_ES", "es_MX", "pt_PT", "pt_BR", "nl_NL", "sv_SE", "da_DK", "no_NO", "fi_FI", "is_IS", "pl_PL",
    "cs_CZ", "hu_HU", "sl_SI", "el_GR",
)  # fmt: skip
SENTENCES = ("Please send it to {}.", "Address: {}", "My new address is {}", "We'll meet at {} tomorrow.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locales", nargs="*", default=list(LOCALES))
    parser.add_argument("--count", type=int, default=200, help="addresses per locale")
    parser.add_argument("--misses", type=int, default=0, help="print this many addresses missed in part")
    args = parser.parse_args()
    rng = random.Random(0)
    found_all = total_all = 0
    for locale in args.locales:
        fake = Faker(locale)
        fake.seed_instance(1)
        found = total = 0
        misses: list[str] = []
        for i in range(args.count):
            address = fake.street_address() if i % 2 else fake.address()
            text = rng.choice(SENTENCES).format(address)
            at = text.index(address)
            covered = {i for s in detect_addresses(text) for i in range(s.start, s.end)}
            chars = [i for i in range(at, at + len(address)) if not text[i].isspace()]
            hit = sum(i in covered for i in chars)
            found, total = found + hit, total + len(chars)
            if hit < len(chars):  # found characters shown as _
                misses.append("".join("_" if i in covered else c for i, c in enumerate(address, at)))
        found_all, total_all = found_all + found, total_all + total
        print(f"{locale:<8}{found / total:>7.3f}")
        for miss in misses[: args.misses]:
            print(f"    {miss!r}")
    print(f"{'all':<8}{found_all / total_all:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
