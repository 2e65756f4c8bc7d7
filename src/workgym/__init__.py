"""workgym: real workspace exports in, anonymized cross-linked RL environments out."""

__version__ = "0.1.0"
