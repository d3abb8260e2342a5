"""The named choices several places offer (settings, CLI, UI, engine), defined once.

Kept free of heavy imports so `rag --help` can use them.
"""

BACKENDS = ("extractive", "openai", "local")  # answer backends ("auto" picks one of these)
RETRIEVAL_MODES = ("hybrid", "dense", "bm25")
