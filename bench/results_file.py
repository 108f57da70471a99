"""Benchmarks print their JSON and keep it in bench/results/<name>.json, stamped with when it ran and
how busy the machine was (figures from a loaded machine are slower; ratios hold up better)."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def publish(name: str, result: dict) -> None:
    stamped = {"run": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
               "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()], **result}
    text = json.dumps(stamped, indent=2)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(text + "\n")
    print(text)
