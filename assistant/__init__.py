"""Question answering over Danish municipal sustainability cases (Verdensmål)."""

__version__ = "0.1.0"

from .conversation import Assistant  # noqa: E402
from .embedding import Embedder, get_embedder  # noqa: E402
from .fusion import RetrieverKind  # noqa: E402
from .records import Case, Contact, Document, Hit, Passage, Reply, Section, Source  # noqa: E402
from .retriever import Retriever, SearchConfig  # noqa: E402

__all__ = [
    "Assistant", "Case", "Contact", "Document", "Embedder", "Hit", "Passage", "Reply", "Retriever", "RetrieverKind",
    "SearchConfig", "Section", "Source", "get_embedder", "__version__",
]
