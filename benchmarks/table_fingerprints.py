"""Fingerprints of every output table of ``sim.simulate``, to prove a speed change changes nothing.

Run from the repository root::

    .venv/bin/python benchmarks/table_fingerprints.py --save before.json   # before a change
    .venv/bin/python benchmarks/table_fingerprints.py --compare before.json  # after it

Each table of each run (scenarios baseline, transport, vouchers, residency, integrated; seeds 0
and 1; ``persons_per_agent`` 1000 and 2000; 2020-2035) is written as CSV, the way the CLI
writes it, and hashed (SHA-256); the run's ``info`` (agent counts, amenity mode) is hashed too.
``--compare`` exits with status 1 and names each table whose digest differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENARIOS = ("baseline", "transport", "vouchers", "residency", "integrated")
SEEDS = (0, 1)
SIZES = (1000, 2000)


def fingerprints(
    scenarios: tuple[str, ...] = SCENARIOS,
    seeds: tuple[int, ...] = SEEDS,
    sizes: tuple[int, ...] = SIZES,
) -> dict[str, str]:
    """SHA-256 of every table of every run, keyed ``scenario/seed/ppa/table``."""
    import sim

    data = None
    digests: dict[str, str] = {}
    for size in sizes:
        for scenario in scenarios:
            for seed in seeds:
                config = sim.load_config(
                    [f"scenario={scenario}", f"seed={seed}", f"persons_per_agent={size}"]
                )
                if data is None:
                    data = sim.load_region_data(config.data_dir)
                result = sim.simulate(config, data=data)
                for name, table in result.tables().items():
                    text = table.to_csv(index=False).encode()
                    digests[f"{scenario}/{seed}/{size}/{name}"] = hashlib.sha256(text).hexdigest()
                info = json.dumps(result.info, sort_keys=True).encode()
                digests[f"{scenario}/{seed}/{size}/info"] = hashlib.sha256(info).hexdigest()
    return digests


def main(argv: list[str] | None = None) -> int:
    """Compute the fingerprints; save them, or compare them with saved ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, help="write the digests to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare with the digests in this file")
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args(argv)
    digests = fingerprints(tuple(args.scenarios), tuple(args.seeds), tuple(args.sizes))
    if args.save:
        args.save.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
        print(f"{len(digests)} digests written to {args.save}")
    if args.compare:
        saved = json.loads(args.compare.read_text())
        differ = [key for key, value in digests.items() if saved.get(key) != value]
        missing = [key for key in digests if key not in saved]
        for key in differ:
            print(f"DIFFERS: {key}" + (" (not in the saved file)" if key in missing else ""))
        print(f"{len(digests) - len(differ)} of {len(digests)} tables identical")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
