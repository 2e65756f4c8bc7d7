"""Export: runs as training data (openai-chat, react, sharegpt, toolformer, dpo, rl) with a card and a leak check."""

from workgym.export.formats import FORMATS
from workgym.export.leaks import ExportLeakError
from workgym.export.run import ExportOptions, ExportReport, export

__all__ = ["FORMATS", "ExportLeakError", "ExportOptions", "ExportReport", "export"]
