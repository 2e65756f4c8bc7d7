"""Layer 4: street addresses found in free text (kind ``street_address``, layer ``names``).

An address is taken where it has the shape of one: a house number and a street marked as a
street, its name written as names are. Confidence by shape:

==========================================================================  ====================
shape                                                                         confidence
==========================================================================  ====================
number, name, English type (``12 Main Street``, ``221B Baker St.``)           0.95
type written first (``87 rue Joseph Vernet``, ``Calle Mayor 12``)             0.9 (``Via`` before an unlisted name 0.7)
a US military address (``USNS Miller FPO AP 96508``)                          0.9
one-word street with a street ending (``Hauptstraße 5``, ``Storgatan 3``)    0.85
name and a foreign type, then the number (``Gosposka ulica 61``)              0.85
a post box after a number (``43 P.O. Box 178``)                               0.8 (0.6 alone)
a rarer Faker street suffix after a listed name (``12 Ruiz Pass``)            0.7
no type: a word of Faker's street lists, or a name between two numbers
(``Tylova 1036``, ``41 Orvelta 62``)                                            0.7 (two leading numbers 0.6)
an English type after common words, with a unit or postcode (``12 Oak Loop``) 0.7
or after names that are common words (``8683 Walker Run``)
``the corner of A and B``                                                     0.7
a named street with no number after ``on``, ``at`` (``on Baker Street``)      0.6
a postcode after ``zip code`` or ``postcode``                                 0.6
a name and number after ``at`` or ``address`` (``at Orvelta Braga 29``)          0.55
a unit on its own (``Suite 200``)                                             0.5
==========================================================================  ====================

A unit after a shape below 0.8 raises it to 0.85 (0.6 to 0.7). Then the unit (``Apt. 5``), city,
state, country and postcode that follow, on the same line or the next ones, join the address, and
so does a unit written just before it; an empty field as data tools write it (``nan``) is passed
over. In a text with no capital letter at all (chat) nothing scores above 0.75, and a street with
no type needs more of an address after it.

What is never a street, however it is spaced (issue trackers are full of these): a street type
alone (``Port 8324``, ``step 2``), words not written as names (log levels and other single letters,
acronyms such as ``ACDB``, camel case such as ``DSpace``, words with digits or underscores,
lower-case words in capitalised text), columns (two spaces or more between the parts), dates
(``1088 Nov 18``), a year or a version after a product (``Visual Studio 2015 Update 3``, ``Xcode
11 Beta 3``), a number then prose (``1 Thread 0 name``), common English words before a rarer or
secondary type (``502 Bad Gateway``, ``2 Google Drive files``), an English type before the number
(``Row 10``: English puts the number first), and a unit word that is only the start of another
word (``15 units``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from itertools import pairwise
from typing import NamedTuple

from workgym.anonymize.faker_words import providers, tokens, values, words
from workgym.anonymize.names import PARTICLES, STOP_WORDS, SURNAME_ENDINGS, lexicon
from workgym.anonymize.spans import Span

# -- word lists (lower case) -------------------------------------------------------------------

_MAIN_TYPES = words("street st avenue ave road rd boulevard blvd lane ln")
"""The English street types that mark a street whatever its name (``12 Oak Street``)."""
_ENGLISH_TYPES = _MAIN_TYPES | words("""drive dr av bd court ct way place pl square sq terrace ter parkway pkwy
    highway hwy circle cir crescent cres close trail trl alley aly row plaza loop path walk gardens gdns
    grove mews point pt ridge run vista green heights hts crossing xing expressway expy freeway fwy pike
    turnpike tpke junction jct rise hill hollow view manor park""")
"""English street types: written after the name, the number before them (``12 Main Street``)."""
_FOREIGN_TYPES = words("""strasse straße str gasse weg allee platz ring damm ufer steig chaussee vej gade
    allé stræde vænget vägen gatan gränd väg gata gate veien vegen vei veg straat laan plein gracht kade
    singel steenweg dreef katu tie polku kuja vegur stígur braut utca út útja u rakpart tér körút köz
    sétány tee mnt puiestee iela ulica ul náměstí nábřeží trg cesta sokak cadde caddesi bulvar
    enparantza kalea etorbidea""")
"""Street types written after the street's name in other languages (``Gosposka ulica 61``)."""

_PREFIXES = words("""rue plac avenida avda calle carrer camino paseo plazuela viale piazza piazzale vicolo strada
    borgo contrada incrocio canale rotonda stretto acceso callejón cañada cuesta glorieta pasadizo pasaje
    psje rambla ronda urbanización vial ampliación andador calzada cerrada circuito circunvalación
    continuación corredor peatonal periférico privada prolongación retorno viaducto carrera transversal
    rua rúa travessa estrada alameda praça largo rodovia jardim ladeira lagoa loteamento chácara colônia
    condomínio conjunto esplanada fazenda núcleo passarela pátio quadra recanto setor sítio trecho trevo
    vereda viela chemin allée impasse quai ruelle montée ulica ul aleja calea bulevardul aleea drumul
    intrarea soseaua jalan jl jln lorong gg soi odos trg r c/ οδός λεωφ λεωφόρος πλατεία πλ πάρ πάροδος λ χλμ ул
    улица пр проспект пер вул вулиця""")
"""Street types written before the street's name (``Rue de la Paix``, ``Calle Mayor``), Faker's among them."""
_FRENCH_PREFIXES = words("avenue boulevard place")
"""English-looking prefixes French writes in lower case after the number (``57 avenue Jules Ferry``)."""
_ENGLISH_PREFIXES = words("""via avenue av boulevard bd blvd plaza place pl al c route cours corso diagonal vale
    campo lago parque""")
"""Prefixes that are also English words or abbreviations: a prefix only when capitalised (``Via Roma``)."""

_STREET_ENDINGS = (
    "straße", "strasse", "str.", "gasse", "weg", "allee", "platz", "damm", "ufer", "vej", "gade",
    "vägen", "gatan", "gränd", "stigen", "veien", "vegen", "gata", "straat", "laan", "plein",
    "gracht", "dijk", "kade", "steenweg", "katu", "polku", "vegur", "stígur", "braut", "utca", "tie",
    "stræti", "stræde", "singel", "plaats", "markt", "steeg", "dreef", "gaten", "plads", "vænget", "torget",
    "baan", "hof", "kuja", "bulevardi", "alléen", "bakken", "berget", "bråten", "engen", "grenda",
    "haugen", "havna", "holtet", "jordet", "kollen", "kroken", "lunden", "løkka", "marka", "plassen",
    "skogen", "stranda", "svingen", "tjernet", "toppen", "tunet", "vollen", "åsen", "stien", "ekra",
    "spranget", "eggen", "gropa", "lyngen", "røa", "boulevard", "stubben", "flata", "gjerdet", "moen",
)  # fmt: skip
"""Endings of one-word street names (``Hauptstraße``, ``Storgatan``, ``Hlíðarvegur``)."""
_ENDING = re.compile("(?:" + "|".join(map(re.escape, sorted(_STREET_ENDINGS, key=len, reverse=True))) + ")$")

_HUNGARIAN_TYPES = words("utca út útja u tér körút köz sétány rakpart")
_HYPHEN_TYPES = words("ring weg straße strasse platz allee gasse damm ufer steig pfad")
"""The last part of a hyphenated German street (``Klaus-D.-Heinz-Weg``, ``Sepp-Rosemann-Ring``)."""

_ABBREVIATIONS = words(
    "st ave av rd ln dr blvd bd ct pl sq ter pkwy hwy cir cres trl str jl jln ul al u mnt λ"
)
"""Abbreviated types, whose final dot belongs to the address (``Main St.``)."""
_DIRECTIONS = words("n s e w ne nw se sw north south east west")
_CALENDAR = words("""january february march april may june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday mon tue tues wed thu thur thurs fri sat sun""")
_PLACE_WORDS = words("st new old saint")
"""Stop words that may name a street or place (``St Kilda Road``, ``New York``)."""
_CONNECTORS = words("of the and de del la le di da do sur am an im u nad pod na ke k bei")
_PREPOSITIONS = words("on at in along near off down up onto into")
_ADDRESS_CUES = words("at address addresses")
_EMPTY_FIELDS = words("nan n/a")
"""What data tools write for an empty field (``Springfield, nan 62704``): skipped inside an address."""
_UNIT_WORDS = words("""apt apartment suite ste unit flat room rm floor fl bldg building postbox postfach box
    level studio piso puerta depto dpto edif interior apto bloco""")

_UNIT = r"(?:apt|apartment|suite|ste|unit|flat|room|rm|floor|fl|bldg|building|level|studio|piso|puerta|depto|dpto|edif|interior|apto|bloco|postbox|postfach|p\.?o\.? box)\b\.?[ \t]*#?[ \t]*(?:\d[\w-]{0,5}|[A-Za-z]\d{0,4})\b|\#[ \t]*\d{1,5}\b"
_LONE_UNIT = r"(?:Apt|Apartment|Suite|Ste|apt|apartment|suite)\b\.?[ ]#?[ ]?\d{1,5}[A-Za-z]?\b(?![.,:/-]?\d)"
_POSTCODE = (
    r"\d{4,6}(?:-\d{3,4})?|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|\d{3}[ ]\d{2}|\d{2}-\d{3}"
    r"|\d{4}[ ]?[A-Z]{2}|[A-Z]\d[\dW][ ]?[A-Z\d]{4}|[A-Z]{1,2}-\d{4,5}|\([A-Z]{2}\)"
)
"""Postcodes: US ZIP, UK, Canada, Sweden, Poland, the Netherlands (``4608 WC``), Ireland's Eircode,
``H-1636``, and an Italian province (``(PI)``)."""
_MILITARY = r"\b(?:(?:Unit|PSC) \d{4},? Box \d{4}|(?:USNS|USNV|USS|USCGC) [^\W\d_]+)\s+[ADF]PO A[AEP] \d{5}\b"

# -- patterns ----------------------------------------------------------------------------------

_WORD = r"(?:\d{1,4}(?:st|nd|rd|th)|[Cc]/|[^\W\d_][\w'’\-]*\.?)"
_NUMBER = re.compile(r"\d(?<![\w.,:/$€£#+\-]\d)\d{0,4}(?:[-/]\d{1,4})?[A-Ha-h]?(?![\w:/@]|[.,]\d)")
_AFTER_NUMBER = re.compile(rf"(?:[ ](\d{{1,5}}[A-Za-z]?))?(,?)[ ]({_WORD}(?:[ ]{_WORD}){{0,5}})")
_BEFORE_NUMBER = re.compile(rf"(?<![\w'’.\-])({_WORD}(?:[ ]{_WORD}){{0,5}}),?[ ]$")
_TRAILING_NUMBER = re.compile(r"[ ]\d{1,5}[A-Za-z]?\b(?![.,:/]\d)\.?")
_UNIT_BEFORE = re.compile(rf"(?:{_UNIT})[ \t]*,?[ \t]*\n?[ \t]*$", re.IGNORECASE)
_LONE_UNIT_RE = re.compile(_LONE_UNIT)
_UNIT_LINE = re.compile(rf"(?<![\w.\-])(?:{_UNIT})[ \t\r]*$", re.IGNORECASE)
_LINE_START = re.compile(r"\n[ \t]*")
_POSTBOX = re.compile(r"(?:p\.?[ ]?o\.?[ ]?box|postfach|postbox)[ ]#?\d{1,6}\b", re.IGNORECASE)
_UNIT_WORD_BEFORE = re.compile(
    r"\b(?:apt|apartment|suite|ste|unit|flat|level|studio)\b\.?[ ]#?$", re.IGNORECASE
)
_PART = re.compile(
    rf"(?P<sep>(?:[ \t\r]*[,\n][ \t\r>?*]*){{1,3}}|[ ])(?:(?P<unit>{_UNIT})|(?P<code>{_POSTCODE})(?![\w-]|[ ]\d)"
    r"|(?P<empty>nan|N/A)(?![\w/])"
    r"|(?P<place>[^\W\d_](?:[^\W\d]|['’.\-])*+(?!\d)(?:[ ]\(?[^\W\d_](?:[^\W\d]|['’.\-])*+(?<!\()\)?(?!\d)){0,5}))",
    re.IGNORECASE,
)
_FIELD_END = re.compile(r"[ \t\r]*(?:[,.;!?)]|$)", re.MULTILINE)
_LINE_END = re.compile(r"[ \t]*(?:(?:nan|N/A)\b[ \t]*)?(?:[,.;!?)]|\r?$|\d)", re.MULTILINE)
_MILITARY_RE = re.compile(_MILITARY, re.IGNORECASE)
_TOKEN = re.compile(r"[^ \t]+")
_YEAR = re.compile(r"(?:19|20)\d\d\b")
_ORDINAL = re.compile(r"\d{1,4}(?:st|nd|rd|th)")
_NAMED_TYPE = re.compile(r"[ ](?:Street|Avenue|Road|Boulevard|Lane)\b")
_NAMED = re.compile(rf"(?<![^\s(\"'])({_WORD}(?:[ ]{_WORD}){{0,3}})$")
_ZIP = re.compile(
    rf"\b(?:zip|postal|post)[ -]?code\b[\"']?[ \t]*(?:is|:|=)?[ \t]*[\"']?({_POSTCODE})\b(?![\w-])",
    re.IGNORECASE,
)
_CORNER = re.compile(r"\b(?:the[ ])?corner[ ]of[ ]", re.IGNORECASE)
_STREET_WORDS = re.compile(rf"{_WORD}(?:[ ]{_WORD}){{0,5}}")
_AND = re.compile(r"[ ](?:and|&)[ ]")
_NEXT_WORD = re.compile(r"[ ]([^\W\d_][\w'’/\-]*)")

Token = tuple[int, int, str]
"""A token: start, end, text as written."""


_STREET_LISTS = (
    "streets", "street_names", "street_titles", "common_street_names", "frequent_street_names",
    "historic_people_street_names", "plant_street_names", "road_names", "street_proceres",
    "streets_adjective_feminine", "streets_universal", "street_titles_noflex",
    "street_titles_irregular_masc", "street_titles_irregular_neu",
)  # fmt: skip
"""Faker's lists of street names, by attribute, across its locales."""


@dataclass(frozen=True)
class Streets:
    """Street vocabulary, built once by :func:`streets`.

    Attributes:
        words: words of Faker's street-name lists (``Tavcarjeva``), not names, not English words.
        rare_types: Faker's street suffixes beyond :data:`_ENGLISH_TYPES` (``Pass``, ``Keys``,
            ``Gateway``); many are English words, so they mark a street only after a listed name.
        names: given names and surnames that are not common English words (``Ruiz``, ``Anna``).
        common: English words, places and organisation words (the name detector's list).
        english: the common words that are not places (``Update``, not ``Chile``).
        nouns: the English words that are no one's name either (``Bad``, ``Google``, not ``Walker``).
        listed: given names, surnames and words of Faker's street lists.
    """

    words: frozenset[str]
    rare_types: frozenset[str]
    names: frozenset[str]
    common: frozenset[str]
    english: frozenset[str]
    nouns: frozenset[str]
    listed: frozenset[str]


@cache
def streets() -> Streets:
    """Faker's street vocabulary across locales (built once, on the first call)."""
    from faker.providers.address.en_US import Provider as Places

    lex = lexicon()
    names = lex.first | lex.last
    places = tokens([*Places.states, *Places.countries])
    street_words: set[str] = set()
    suffixes: set[str] = set()
    for provider in providers("faker.providers.address"):
        for attr in _STREET_LISTS:
            street_words |= tokens(values(getattr(provider, attr, ())))
        if any("{{street}}" in f for f in values(getattr(provider, "street_name_formats", ()))):
            street_words |= tokens(values(getattr(provider, "localities", ())))  # el_GR names its streets so
        for attr in ("street_suffixes", "street_suffixes_short", "street_suffixes_long"):
            suffixes |= {
                v.strip(" .").lower()
                for v in values(getattr(provider, attr, ()))
                if re.fullmatch(r"[A-Z]\w{2,}\.?", v.strip())
            }
    return Streets(
        words=frozenset(street_words - STOP_WORDS - lex.common - names),
        rare_types=frozenset(suffixes - _ENGLISH_TYPES - _FOREIGN_TYPES - STOP_WORDS),
        names=frozenset(names - lex.common),
        common=lex.common,
        english=lex.common - places,
        nouns=lex.common - places - names,
        listed=frozenset(names | street_words),
    )


# -- words ---------------------------------------------------------------------------------------


def _low(word: str) -> str:
    return word.lower().rstrip(".,")


def _name_word(word: str, lower: bool) -> bool:
    """A word written as street and place names are: capitalised (any case in a lower-case text).

    Not a stop word, month or weekday, not a single letter (a log level such as ``W``), not an
    acronym (``SDK``), not camel case (``XCode``), no underscore or digit; ordinals (``184th``) are.
    """
    letters = word.rstrip(".,")
    if _ORDINAL.fullmatch(letters):
        return True
    if len(word) == 2 and word[1] == "." and word[0].isalpha():  # an initial: M. Portaliou Street
        return lower or word[0].isupper()
    low = letters.lower()
    if len(letters) < 2 or "_" in letters or any(c.isdigit() for c in letters):
        return False
    if (low in STOP_WORDS and low not in _PLACE_WORDS) or low in _CALENDAR:
        return False
    if lower:
        return True
    if not letters[0].isupper() or letters.isupper() or (letters[1].isupper() and letters[1] != "'"):
        return False  # Sdk would pass; SDK, DSpace and XCode do not
    return not any(a.islower() and b.isupper() for a, b in pairwise(letters)) or low.startswith(("mc", "mac"))


def _a_name(word: str, lex: Streets) -> bool:
    """A listed name or street word, or a surname by its ending (``Bergvinsson``)."""
    low = _low(word)
    return low in lex.listed or (low.endswith(SURNAME_ENDINGS) and low not in lex.common)


def _particle(word: str) -> bool:
    return word in PARTICLES


def _direction(word: str) -> bool:
    """``N``, ``N.``, ``NW``, ``North``: a direction before a street's name (``1732 N 1st St``)."""
    return _low(word) in _DIRECTIONS and word[0].isupper()


def _prefix(word: str, lower: bool, bare: bool = False) -> bool:
    """A street type written first (``Rue``, ``Via``, ``quai``); one that is an English word capitalised.

    Where a number follows the name (``bare``), also a bare letter (``R Augusta 16``, not
    ``11 C Min``) and French in lower case (``avenue Thérèse Corbat 43``).
    """
    low = _low(word)
    if len(low) == 1 and word[1:2] not in {".", "/"} and not (bare and word.isupper()):
        return False  # C/ Mayor and R. Augusta, not 11 C Min
    if word in {"al.", "pl.", "os."}:  # al. Rajska 53: Polish writes them in lower case, with the dot
        return True
    if low in _ENGLISH_PREFIXES:  # 43, avenue Thérèse Corbat; not "it takes place Friday"
        return not lower and (word[0].isupper() or (bare and low in _FRENCH_PREFIXES))
    return low in _PREFIXES


def _prefix_score(prefix: str, named: list[str], lex: Streets) -> float:
    """Confidence of a street whose type is written first (``Rue``, ``Via``).

    0.7 where the type is also an English word and the name is in no list, or English (``Via
    Settings 3``, ``3 Place Holders``); else 0.9 (``Via Carlo Cattaneo 130``, ``87 rue Joseph Vernet``).
    """
    if _low(prefix) not in _ENGLISH_PREFIXES:
        return 0.9
    names = [_low(n) for n in named if not _particle(n)]
    known = any(n in lex.names or n in lex.words for n in names)
    return 0.9 if known and not any(n in lex.english for n in names) else 0.7


def _main_type(word: str, lower: bool) -> bool:
    """An English or foreign street type (``Street``, ``St.``, ``ulica``), capitalised unless a main one."""
    low = _low(word)
    if low in _MAIN_TYPES or low in _FOREIGN_TYPES:
        return True
    return low in _ENGLISH_TYPES and (lower or word[0].isupper())


def _rare_type(word: str, lex: Streets, lower: bool) -> bool:
    """One of Faker's rarer street suffixes (``Pass``, ``Bridge``), capitalised unless the text has no capitals."""
    return _low(word) in lex.rare_types and (lower or word[0].isupper())


def _compound(word: str, lower: bool) -> bool:
    """A one-word street name with a street ending (``Hauptstraße``, ``Storgatan``, ``Sepp-Rosemann-Ring``)."""
    low = _low(word) if not word.lower().endswith("str.") else word.lower()
    if "-" in word and (lower or word[0].isupper()):
        return low.rsplit("-", 1)[1] in _HYPHEN_TYPES
    if len(low) < 5 or not word.rstrip(".").isalpha():
        return False
    if not lower and (not word[0].isupper() or word[1:].rstrip(".").isupper()):
        return False
    ending = _ENDING.search(low)  # a stem of three letters or more before it (two before a long one)
    return ending is not None and ending.start() >= (2 if len(ending.group()) >= 5 else 3)


def _end_of(word_end: int, word: str) -> int:
    """Where a street word ends: its final dot kept only after an abbreviation (``St.``, ``Hauptstr.``)."""
    keep = _low(word) in _ABBREVIATIONS or word.lower().endswith("str.")
    return word_end - 1 if word.endswith(".") and not keep else word_end


def _split(m: re.Match[str], group: int) -> list[Token]:
    return [(t.start(), t.end(), t.group()) for t in _TOKEN.finditer(m.string, m.start(group), m.end(group))]


# -- streets -------------------------------------------------------------------------------------


def _street_after(
    text: str, start: int, words_: list[Token], lex: Streets, lower: bool, numbers: int, typed: bool = False
) -> tuple[int, float]:
    """End offset and confidence of the street that starts at ``words_`` after a house number, else (0, 0).

    With ``typed``, only a street marked by a type (after a unit on the line before, en_GB style).
    """
    unit = _POSTBOX.match(text, words_[0][0])
    if unit:  # 43 P.O. Box 178
        return unit.end(), 0.8
    first = words_[0][2]
    if (
        _prefix(first, lower, bare=True)
        or first in _FRENCH_PREFIXES
        or (lower and _low(first) in _ENGLISH_PREFIXES)
    ):  # 87 rue Joseph Vernet, 57 avenue Jules Ferry, 11 via roma 14
        names = [w for _, _, w in words_[1:] if not _particle(w)]
        if not names or not _name_word(names[0], lower):
            return 0, 0.0
        end = 0
        for _, e, w in words_[1:6]:
            if not (_name_word(w, lower) or _particle(w)) or _low(w) in _UNIT_WORDS:
                break
            end = _end_of(e, w)
            if _main_type(w, lower):
                break
        number = _TRAILING_NUMBER.match(text, end)
        if len(first) == 1 and not number:
            return 0, 0.0  # 87 R Augusta 75, but not 11 C Min
        if (
            lower
            and not _prefix(first, lower)
            and not (number and _extend(text, number.end(), lower).end > number.end())
        ):
            return 0, 0.0  # 11 via roma 4\nsuite 5, but not 2 via email 3 times
        named = [w for _, e, w in words_[1:] if e <= end]
        return (end, _prefix_score(first, named, lex)) if end else (0, 0.0)
    i = 1 if _direction(first) and len(_low(first)) <= 2 and len(words_) > 2 else 0  # 1732 N 1st St
    if _compound(words_[i][2], lower):  # 5 Hauptstraße
        return _end_of(words_[i][1], words_[i][2]), 0.85
    run = 0  # words that may be part of a street: names, particles inside, types
    main = rare = 0  # one past the last main and the last rare street type among them
    for k, (_, _, w) in enumerate(words_[i : i + 6]):
        low = _low(w)
        if k and _main_type(w, lower):  # Baker Street, Main St., Wesselényi u., Gosposka ulica
            main = rare = k + 1
        elif k and _rare_type(w, lex, lower):  # 12 Ruiz Pass
            rare = k + 1
        elif not (_name_word(w, lower) or (k and _particle(w))) or (k and low in _UNIT_WORDS):
            break
        run = k + 1
    if main:
        named = [w for _, _, w in words_[i : i + main - 1]]
        last = words_[i + main - 1]
        end = _end_of(last[1], last[2])
        if _low(last[2]) in _MAIN_TYPES:
            return end, 0.95
        if any(_low(n) in lex.nouns for n in named):  # 12 Oak Loop, Apt. 5; but not 2 Google Drive files
            tail = _extend(text, end, lower)
            return (end, 0.7) if tail.unit or tail.postcode else (0, 0.0)
        return end, 0.7 if all(_low(n) in lex.common or _particle(n) for n in named) else 0.95  # Walker Run
    if rare:
        named = [w for _, _, w in words_[i : i + rare - 1]]
        last = words_[i + rare - 1]
        if any(_low(n) in lex.nouns for n in named) or not any(_a_name(n, lex) for n in named):
            return 0, 0.0  # 502 Bad Gateway, 4x Zoom Guide Line
        return _end_of(last[1], last[2]), 0.7  # 921 Johnson Spring
    named = [w for _, _, w in words_[i : i + run]]
    while named and _particle(named[-1]):
        named.pop()
    named = named[:4]
    for k in range(1, len(named)):  # 19 Jan Steenstraat
        if _compound(named[k], lower):
            return _end_of(words_[i + k][1], named[k]), 0.85
    if typed or not named or not _may_start(text, start) or _YEAR.match(text, start):  # 2015 Update 3
        return 0, 0.0
    end, score = _untyped(text, words_[i : i + len(named)], lex, lower, numbers)
    if score and lower:  # a text without capitals: only with more of an address after it
        number = _TRAILING_NUMBER.match(text, end)
        stop = number.end() if number else end
        if _extend(text, stop, lower).end == stop:
            return 0, 0.0
    return end, score


def _untyped(text: str, named: list[Token], lex: Streets, lower: bool, numbers: int) -> tuple[int, float]:
    """End and confidence of a street with no type after a house number (``41 Orvelta 62``), else (0, 0)."""
    end = _end_of(named[-1][1], named[-1][2])
    if any(_low(w) in lex.words for _, _, w in named):  # 52 Orvelta Braga
        return end, 0.7
    if any(_low(w) in lex.english and _low(w) not in PARTICLES for _, _, w in named):
        return 0, 0.0
    for k in range(len(named), 0, -1):  # 41 Orvelta 62: a name between two numbers
        number = _TRAILING_NUMBER.match(text, named[k - 1][1])
        if number and not _prose_after(text, number.end()):  # not "1 Thread 0 name"
            return number.end(), 0.7
    tail = _extend(text, end, lower)
    if numbers > 1 or tail.unit or tail.postcode:  # 52 58 Orvelta Braga; Orvelta\nSuite 4
        return end, 0.6
    return 0, 0.0


def _prose_after(text: str, at: int) -> bool:
    """Whether a lower-case word (not a unit, not ``nan``) follows ``at`` (``1 Thread 0 name``)."""
    word = _NEXT_WORD.match(text, at)
    if word is None:
        return False
    return word[1][0].islower() and _low(word[1]) not in _UNIT_WORDS | _EMPTY_FIELDS


def _may_start(text: str, start: int) -> bool:
    """Whether the number at ``start`` may be a house number with no street type after it.

    Not after a capitalised word or a word with digits (``Windows 10 Pro 1703``, ``Height 1836
    Width 3264``); a unit (``Apt. 5``) or a label (``Address:``) may stand there.
    """
    before = text[max(0, start - 40) : start]
    if not before.endswith(" ") or before.endswith("  "):
        return True
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    if not word or word[-1] in ",;" or _low(word.rstrip(":")) in _UNIT_WORDS | _ADDRESS_CUES | {"adress"}:
        return True  # Acme Corp, 59 Orvelta 48
    return not any(c.isupper() or c.isdigit() for c in word)  # iOS 15 Beta 1


def _street_before(words_: list[Token], lex: Streets, lower: bool) -> tuple[int, float]:
    """Start offset and confidence of the street name that ends right before a house number."""
    i = len(words_)
    while i > 0 and (
        _name_word(words_[i - 1][2], lower)
        or _particle(words_[i - 1][2])
        or _main_type(words_[i - 1][2], lower)
        or _prefix(words_[i - 1][2], lower, bare=True)
    ):
        i -= 1
    while i < len(words_) and _particle(words_[i][2]):
        i += 1
    cue = words_[i - 1][2].lower().rstrip(":") if i else ""
    words_ = words_[i:]
    if not words_:
        return 0, 0.0
    for k, (s, _, w) in enumerate(words_[:-1]):
        follower = words_[k + 1][2]
        if (
            _prefix(w, lower, bare=True)
            and (_name_word(follower, lower) or _particle(follower))
            and not (k == 0 and cue == "et")  # et al. Nature 2019
        ):  # Via Nizza 60
            return s, _prefix_score(w, [n for _, _, n in words_[k + 1 :]], lex)
    last = words_[-1][2]
    if len(words_) == 1 and _compound(last, lower):  # Hauptstraße 5
        return words_[0][0], 0.85
    if _main_type(last, lower):
        named = words_[max(0, len(words_) - 4) : -1]
        if not named or not all(_name_word(w, lower) or _particle(w) for _, _, w in named):
            return 0, 0.0  # a street type alone is no street ("Port 8324")
        if _low(last) in _ENGLISH_TYPES:
            # English puts the number first: "Repeat steps 2-4" and "Click Row 10" are not streets.
            return 0, 0.0
        return named[0][0], 0.85  # Freistädter Strasse 61, Gosposka ulica 61
    if _compound(last, lower):  # Anna van Dijkweg 77
        return words_[-1][0], 0.85
    if not all(_name_word(w, lower) or _particle(w) for _, _, w in words_):
        return 0, 0.0
    # Tylova 1036, Na Pěšině 925: a name from Faker's street lists, in a text with capitals
    at = len(words_)
    while at and (_low(words_[at - 1][2]) in lex.words or words_[at - 1][2].lower() in _CONNECTORS):
        at -= 1
    if (
        not lower
        and at < len(words_)
        and _low(last) in lex.words
        and sum(len(w) for _, _, w in words_[at:]) > 4
    ):
        return words_[at][0], 0.7
    if (
        not lower
        and cue in _ADDRESS_CUES
        and len(words_) <= 3
        and not any(_low(w) in lex.common for _, _, w in words_)
    ):
        return words_[0][0], 0.55  # lives at Orvelta Braga 29
    return 0, 0.0


class _Tail(NamedTuple):
    """What follows a street: where the address ends, and whether a unit or postcode is in it."""

    end: int
    unit: bool
    postcode: bool


def _extend(text: str, end: int, lower: bool) -> _Tail:
    """``end`` moved over the unit, city, state, country and postcode that follow a street."""
    unit = postcode = after_unit = False
    for _ in range(7):
        m = _PART.match(text, end)
        if not m or m.group("sep").count("\n") > 2:
            break
        place, sep = m.group("place"), m.group("sep")
        if m.group("empty") is not None:  # Springfield, nan 62704: taken only with what follows
            after = _PART.match(text, m.end())
            if not after or after.group("empty") is not None or after.group("sep").count("\n") > 2:
                if _FIELD_END.match(text, m.end()):  # Oslo nan: the last field, empty
                    end = m.end()
                break
            end = m.end()
            continue
        if place is None:
            end, after_unit = m.end(), True
            unit, postcode = unit or m.group("unit") is not None, postcode or m.group("code") is not None
            continue
        at, last = m.start("place"), 0
        for w in _TOKEN.finditer(place):
            word = w.group()
            if word[0] == "(" and word[-1] == ")" and last:  # Cyprus (Greek), Frankfurt (Oder)
                word = word[1:-1]
            low = _low(word)
            if word in _CONNECTORS and last:
                continue
            if word.isupper() and len(word) > 1:  # a state code (NO, ON, IL) or a city in capitals
                pass
            elif (low in STOP_WORDS and low not in _PLACE_WORDS) or not (lower or word[0].isupper()):
                break
            last = at + w.end()
            if word.endswith(".") and len(word) > 4:  # Torino. ends the sentence, not an abbreviation
                last -= 1
                break
        # A place on a line of its own is one to its end, or to a comma (``Springfield, IL``); after
        # the street and a space only after a unit (``Apt. 5 Zoetermeer``), or to its end in a text
        # with capitals (``5 Jump squats`` is none).
        to_end = bool(_LINE_END.match(text, last))
        if not last or not (to_end if "\n" in sep else "," in sep or after_unit or (to_end and not lower)):
            break
        end, after_unit = last, False
    return _Tail(end, unit, postcode)


# -- addresses -----------------------------------------------------------------------------------


def _numbered(text: str, lex: Streets, lower: bool, military: list[Span]) -> list[Span]:
    """Addresses around house numbers, but not the numbers inside the ``military`` addresses."""
    out: list[Span] = []
    covered = 0
    for m in _NUMBER.finditer(text):
        if m.start() < covered or any(s.start <= m.start() < s.end for s in military):
            continue
        start = end = 0
        score = 0.0
        after = _AFTER_NUMBER.match(text, m.end())
        if after and after.group(2) and not _prefix(after.group(3).split(" ", 1)[0], lower, bare=True):
            after = None  # 5, avenue Samson; but not "step 1, Foo Street"
        if after:
            end, score = _street_after(
                text, m.start(), _split(after, 3), lex, lower, 2 if after.group(1) else 1
            )
            start = m.start()
        before = _BEFORE_NUMBER.search(text, max(covered, m.start() - 60), m.start())
        if before and text[max(0, before.start() - 2) : before.start()].strip() != "@":  # not "@ Hottie 4"
            # Via Nizza 60; and Anna van Dijkweg 77
            at, found = _street_before(_split(before, 1), lex, lower)
            if found:
                start, score, end = at, max(score, found), end or m.end()
        if not end:
            continue
        unit = _UNIT_BEFORE.search(text, max(covered, start - 30), start) or _UNIT_WORD_BEFORE.search(
            text, max(covered, start - 12), start
        )
        if unit:  # Apt. 7 20 rue de Lyon; Apt. 43 40 Rue de Lyon
            start = unit.start()
        tail = _TRAILING_NUMBER.match(text, end)
        end = tail.end() if tail else end
        if text[end : end + 1] == "." and any(_low(w) in _HUNGARIAN_TYPES for w in text[start:end].split()):
            end += 1  # Király utca 15.: Hungarian writes the house number with a dot
        rest = _extend(text, end, lower)
        end = rest.end
        if rest.unit and score < 0.8:  # 12 Ruiz Pass, Apt. 5; 41 Orvelta 62\nSuite 4
            score = 0.85 if score >= 0.7 else 0.7
        out.append(Span("street_address", start, end, score, "names"))
        covered = end
    return out


def _named(text: str, spans: list[Span]) -> list[Span]:
    """Named streets with no number after a preposition (``on Baker Street``)."""
    out = []
    for t in _NAMED_TYPE.finditer(text):
        m = _NAMED.search(text, max(0, t.start() - 60), t.start())
        if not m:
            continue
        names = _split(m, 1)
        while names and not _name_word(names[0][2], False):
            names.pop(0)
        if not names or any(not (_name_word(w, False) or _particle(w)) for _, _, w in names):
            continue
        if _main_type(names[-1][2], False):
            continue  # on Baker Street street: one street
        start = names[0][0]
        before = text[max(0, start - 8) : start].split()
        if (
            before
            and before[-1].lower() in _PREPOSITIONS
            and not any(s.start <= start < s.end for s in spans)
        ):
            out.append(Span("street_address", start, t.end(), 0.6, "names"))
    return out


def _corner_part(text: str, at: int, by_start: dict[int, Span], lex: Streets, lower: bool) -> int:
    """End of the street at ``at`` in ``the corner of A and B``, else 0.

    A found address, or names (lower-case words among them: ``Csabai kapu 39``) ending on a number
    or a street type, Faker's rarer ones included (``Eriksson Bridge``): the cue says a street is there.
    """
    if at in by_start:
        return by_start[at].end
    m = _STREET_WORDS.match(text, at)
    end = typed = 0
    for s, e, w in _split(m, 0) if m else []:
        if s > at and (_main_type(w, lower) or _rare_type(w, lex, lower)):
            end = typed = _end_of(e, w)
            break
        inner = s > at and w.isalpha() and w.islower() and w not in STOP_WORDS
        if not (_name_word(w, lower) or _particle(w) or _prefix(w, lower) or inner):
            break
        end = e
    number = _TRAILING_NUMBER.match(text, end) if end else None
    return number.end() if number else typed


def _corners(text: str, spans: list[Span], lex: Streets, lower: bool) -> list[Span]:
    """``the corner of A and B``: the two streets as one place, the words before them included."""
    by_start = {s.start: s for s in spans}
    out = []
    for cue in _CORNER.finditer(text):
        a = _corner_part(text, cue.end(), by_start, lex, lower)
        joint = _AND.match(text, a) if a else None
        b = _corner_part(text, joint.end(), by_start, lex, lower) if joint else 0
        if b:
            out.append(Span("street_address", cue.start(), b, 0.7, "names"))
    return out


def _street_line_before(text: str, unit: int, lex: Streets, lower: bool) -> int:
    r"""Start of the street that ends the line before a unit opening its line (``5100 Quadra 104\n Suite 8``).

    The words that end that line, back to a stop word or other prose: numbers, names, particles and
    short lower-case words (``0269 Stensås terrasse 38``), ending on a number or a name, one of them a
    number and one a name that is not an English word (``Build 42\nSuite 3`` is none). -1 where none.
    """
    line = text.rfind("\n", 0, unit)
    if line < 1 or text[line + 1 : unit].strip(" \t>"):
        return -1
    before = max(text.rfind("\n", 0, line) + 1, line - 80)
    words: list[re.Match[str]] = []  # from the end of the line back
    number = named = False
    for token in reversed(list(_TOKEN.finditer(text, before, line))):
        word = token.group().rstrip(",")
        if _NUMBER.fullmatch(word):
            number = True
        elif _name_word(word, lower) or _particle(word):
            named = named or (not _particle(word) and _low(word) not in lex.english)
        elif not (word.isalpha() and word.islower() and len(word) <= 12 and word not in STOP_WORDS):
            break
        elif not words:
            return -1  # the line ends on a lower-case word: prose
        words.append(token)
    while words and words[-1].group()[0].islower() and not _particle(words[-1].group()):
        words.pop()  # it begins on a number or a name
    return words[-1].start() if words and number and named else -1


def detect_addresses(text: str) -> list[Span]:
    """Spans of street addresses (kind ``street_address``, layer ``names``) in ``text``."""
    if not text:
        return []
    lex = streets()
    lower = text.islower()
    out: list[Span] = []
    if "PO A" in text or "po a" in text:  # USNS Jones FPO AP 12345
        out = [Span("street_address", m.start(), m.end(), 0.9, "names") for m in _MILITARY_RE.finditer(text)]
    out += _numbered(text, lex, lower, out)
    if not lower:
        out += _named(text, out)
    folded = text.lower()
    if "code" in folded:
        out += [Span("street_address", m.start(1), m.end(1), 0.6, "names") for m in _ZIP.finditer(text)]
    taken = [(s.start, s.end) for s in out]
    units = "apt" in folded or "ste" in folded or "suite" in folded
    for m in _LONE_UNIT_RE.finditer(text) if units else ():  # Suite 200 on its own
        if not any(s <= m.start() < e for s, e in taken) and (lower or m.group()[0].isupper()):
            before = _street_line_before(text, m.start(), lex, lower)  # 5100 Quadra 104\n Suite 845
            end = _extend(text, m.end(), lower).end
            start, score = (before, 0.7) if before >= 0 else (m.start(), 0.5)
            out.append(Span("street_address", start, end, score, "names"))
    for line in _LINE_START.finditer(text):  # Flat 3\nPatricia Drive\nJackburgh\nN92 6HL
        unit = _UNIT_LINE.search(text, max(0, line.start() - 30), line.start())
        street = _STREET_WORDS.match(text, line.end()) if unit else None
        if unit and street and not any(s <= unit.start() < e for s, e in taken):
            end, score = _street_after(text, unit.start(), _split(street, 0), lex, lower, 1, typed=True)
            if score:
                out.append(
                    Span("street_address", unit.start(), _extend(text, end, lower).end, score, "names")
                )
    boxes = "box" in folded or "fach" in folded
    for m in _POSTBOX.finditer(text) if boxes else ():  # P.O. Box 108, Postfach 71
        if not any(s <= m.start() < e for s, e in taken):
            out.append(Span("street_address", m.start(), _extend(text, m.end(), lower).end, 0.6, "names"))
    if "orner of" in text:
        corners = _corners(text, out, lex, lower)  # each takes the place of the streets it joins
        out = [s for s in out if not any(c.start <= s.start and s.end <= c.end for c in corners)] + corners
    if lower:  # a text without capitals gives less evidence: never learned
        return [replace(s, confidence=0.75) if s.confidence > 0.75 else s for s in out]
    return out
