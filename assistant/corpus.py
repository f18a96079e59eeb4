"""The corpus folder as cases: the public face of :mod:`assistant.ingest` (one module per format there)."""

from .ingest.common import MAX_CORPUS, MAX_FILE, MAX_TEXT, SUPPORTED_SUFFIXES, Block, CorpusError, warn
from .ingest.contacts import parse_contact, valid_email
from .ingest.markdown import jsonl_rows
from .ingest.reader import corpus_files, corpus_hash, load_corpus, parse_file, read_text

__all__ = ["MAX_CORPUS", "MAX_FILE", "MAX_TEXT", "SUPPORTED_SUFFIXES", "Block", "CorpusError", "corpus_files",
           "corpus_hash", "jsonl_rows", "load_corpus", "parse_contact", "parse_file", "read_text", "valid_email", "warn"]
