"""docintake: self-hostable document intake and AI extraction."""

__version__ = "0.1.0"
