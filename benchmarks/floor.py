"""The floor: raw pyoxigraph in one process, no HTTP: bulk load, then answer the same SPARQL from threads.

Run by benchmarks/peers.py as ``python floor.py [--graph-per-file] memory|DIR QUESTIONS.json FILE…``.
It bulk-loads the files (pyoxigraph's fastest path, into the default graph; with --graph-per-file
each into a named graph of its own, as graph-service keeps its sources) into an in-memory store or
the store directory DIR, prints ``{"load_seconds": …}``, then reads one JSON command per line on stdin:

- ``{"drive": KIND, "clients": N, "seconds": S, "most": M, "start": I}``: run questions of KIND
  with N threads (each answer serialised to SPARQL JSON results, as a server would) and print
  the `load.Stats` as JSON;
- ``{"answer": KIND, "index": I}``: print the SPARQL JSON results of one question's texts.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from load import Driver

_FORMATS = {".nt": ox.RdfFormat.N_TRIPLES, ".ttl": ox.RdfFormat.TURTLE}


def answer(store: ox.Store, texts: list[str]) -> list[bytes]:
    """Each text's SPARQL JSON results."""
    return [store.query(text).serialize(format=ox.QueryResultsFormat.JSON) for text in texts]


def main() -> None:
    named = sys.argv[1] == "--graph-per-file"
    args = sys.argv[2:] if named else sys.argv[1:]
    where, questions_file, files = args[0], Path(args[1]), [Path(p) for p in args[2:]]
    began = time.perf_counter()
    store = ox.Store() if where == "memory" else ox.Store(where)
    for path in files:
        graph = ox.NamedNode(path.resolve().as_uri()) if named else None
        store.bulk_load(path=str(path), format=_FORMATS[path.suffix], to_graph=graph)
    store.flush()
    print(json.dumps({"load_seconds": time.perf_counter() - began, "quads": len(store)}), flush=True)
    questions: dict[str, list[list[str]]] = json.loads(questions_file.read_text(encoding="utf-8"))
    for line in sys.stdin:
        command = json.loads(line)
        if "answer" in command:
            texts = questions[command["answer"]][command["index"]]
            print(json.dumps([json.loads(body) for body in answer(store, texts)]), flush=True)
            continue
        texts = questions[command["drive"]]
        driver = Driver(lambda: None, lambda _, i: answer(store, texts[i % len(texts)]), lambda _: None)
        stats = driver.drive(command["clients"], command["seconds"], command["most"], command.get("start", 0))
        print(json.dumps(dataclasses.asdict(stats)), flush=True)


if __name__ == "__main__":
    main()
