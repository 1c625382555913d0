"""The command line of a benchmark that stores its table for a chapter: ``--out``, the timing, the JSON.

A benchmark calls :func:`main` with its own file, the function that measures its rows and the
function that says in one line how they came out; the table goes to ``book/data/<name>.json``
(or ``--out``) with the command that made it and the torch version it ran on.
"""

import argparse
import json
import time
from pathlib import Path


def main(script: str, doc: str, rows, summary) -> int:
    name = Path(script).stem
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", default=str(Path(script).resolve().parents[1] / "book" / "data" / f"{name}.json"))
    args = parser.parse_args()
    start = time.time()
    table = rows()
    Path(args.out).write_text(json.dumps({"command": f"python benchmarks/{name}.py",
                                          "torch": __import__("torch").__version__, "rows": table}, indent=1) + "\n")
    print(f"{len(table)} rank rows in {time.time() - start:.0f} s; {summary(table)}; wrote {args.out}")
    return 0
