"""Getting case pages in: fetching (``fetch``), one module per file format, and reading cases,
municipalities and contacts out of their text."""
