"""graph-service: an open knowledge graph of micro-credentials (mikromeriter), career ladders and gaps."""

__version__ = "0.1.0"
