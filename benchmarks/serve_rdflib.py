"""The rdflib-endpoint peer: load RDF files into an rdflib Dataset and serve it at /sparql with uvicorn.

Each file goes into its own named graph and the default graph is their union, as in
graph-service. Run by benchmarks/peers.py as ``python serve_rdflib.py PORT FILE…``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from rdflib import Dataset, URIRef
from rdflib_endpoint import SparqlEndpoint

_FORMATS = {".nt": "nt", ".ttl": "turtle"}


def main() -> None:
    port, files = int(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    dataset = Dataset(default_union=True)
    for path in files:
        dataset.graph(URIRef(path.resolve().as_uri())).parse(path, format=_FORMATS[path.suffix])
    app = SparqlEndpoint(graph=dataset, path="/sparql", cors_enabled=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
