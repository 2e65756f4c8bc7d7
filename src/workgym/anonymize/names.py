"""Layer 4: person names that no directory knows, and street addresses, found in free text.

**Names.** Given names and surnames come from every person provider Faker ships (about 64,000
tokens over 80 locales), read on the first call and kept (:func:`lexicon`); importing this module
does not import Faker. A compiled regex finds runs of capitalised tokens (``O'Brien``, ``Jean-Luc``,
``van der Berg``, ``John F. Kennedy``); stop words, titles and greetings split a run into groups,
and each group is judged by set look-ups and the words around it. Confidence by evidence:

========================================================================  ==========================
evidence                                                                    confidence
========================================================================  ==========================
after a title (``Mr.``, ``Dr.``)                                            0.9
two or more tokens, one listed and not an English word (``Anna Schmidt``)   0.9 (0.85 with one unlisted)
one listed token (``Irma``)                                                 0.85 cued, 0.75, 0.7 at a sentence start
listed tokens that are English words (``Will Young``)                       0.8 cued, 0.6, 0.45 at a start
two or three unlisted title-case tokens (``Gairbekov Vodir``)              0.7 cued, 0.5, 0.45 at a start
one unlisted token with a surname ending, mid-sentence (``Mikolčić``)       0.6 (0.7 cued)
one English-word or unlisted token after a strong cue (``Thanks Will``)     0.6 (0.45 at a start)
in a list with a confident name (``Kaylee, Brandi and Malon``)               0.55
========================================================================  ==========================

A strong cue is a greeting or sign-off (``Hi``, ``Dear``, ``Thanks``), ``cc``, ``@``, a field label
(``Name:``), ``by``/``from`` inside a sentence, or a verb of speech after the name (``said``); a weak
one is ``with``, ``to``, ``and``, a colon after the name, or a vocative comma (``Oscar, can you``).
A common English word that is also a name (``Will``, ``May``, ``Mark``, ``Grant``, ``Bill``,
``Rose``) is never a name alone without a cue. Acronyms (``NASA``), camel case (``TicketEvent``)
and words with English endings (``Weekly``) are not names. A possessive ends the name (``Anna's``
gives ``Anna``); a suffix joins it (``Joshua Okamoto MD``). A text with no capital letter at all
is read in lower-case mode: listed tokens that are not English words, and a surname after them.

**Street addresses** (kind ``street_address``): a house number with a street name and type
(``12 Main Street``, ``221B Baker St.``, ``87 rue Joseph Vernet``, ``Via Nizza 60``,
``Hauptstraße 5``, ``Storgatan 3``), the type taken from Faker's address providers and from lists
of street types and endings across languages; then, when they follow, a unit (``Apt. 5``,
``Suite 200``), city, state, country and postcode, on the same line or the next ones. Also a US
military address (``USNS Miller FPO AP 96508``), a unit with its number on its own, and a named
street after a preposition (``on Baker Street``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from workgym.anonymize.spans import Span


def _words(text: str) -> frozenset[str]:
    """The words of a whitespace-separated list."""
    return frozenset(text.split())


# -- word lists (lower case) -------------------------------------------------------------------

_STOP = _words("""a an the this that these those there here i me my mine we us our you your he him his she her
    it its they them their and or but nor if so as at by for from in into of on onto to with without
    via per about above after against along among around before behind below between beyond during
    except inside near off out over since than through till under until upon within is are was were
    be been being am do does did done have has had would shall should can could might must
    not no yes ok okay please thanks thank thx cheers regards best kind warm yours sincerely hi hello
    hey dear greetings welcome congrats congratulations bye goodbye morning afternoon evening night
    good great nice happy sorry what when where who whom whose why how which all any some every each
    both either neither few many much more most other another such own same also just only even
    still yet then now today tomorrow yesterday let lets team all everyone folks guys sir madam
    monday tuesday wednesday thursday friday saturday sunday january february march july september
    october november december mon tue tues wed thu thur thurs fri sat sun feb mar apr jun jul
    aug sep sept oct nov dec mr mrs ms mx miss dr prof st jr sr re fwd fw
    cc bcc subject attn note ps pm am utc gmt""")
"""Words never taken as a name (function words, greetings, days, months, titles)."""

_COMMON = _words("""will may mark grant bill rose hope faith joy grace page long young king hill green brown white
    black gray grey rich strong little short sharp bright fair gay frank earnest noble wise golden
    silver ruby pearl amber crystal ivory jade coral olive hazel violet lily iris ivy holly daisy
    fern heather jasmine poppy willow autumn summer winter spring dawn sky sunny stormy storm rain
    snow river lake brook forest wood woods field fields stone rock hall house church castle bridge
    park lane street road mill mills ford marsh moor dale glen cliff hunter fisher baker miller
    cooper carter porter butler mason taylor turner walker parker archer bishop knight prince
    duke earl lord king queen major general captain judge dean chance hunt wolf fox bird swift
    crane drake finch robin jay bell hammer love price cash sale sales worth hood pope guard bond
    chase case star sun moon pace power trust grant honor justice liberty patience prudence mercy
    charity harmony melody destiny trinity angel christian christmas easter sunday friday monday
    august april june january english french german dutch welsh scott irish roman royal early
    lucky sandy rusty dusty woody buck bud chip chuck jack nick pat rob sue ray dot art gene
    don ed al van son mac ben dan tom max sam ted rod doc amen hand key way west north south east
    new old last first second third main high low upper lower middle center centre central grand
    golden summit vista view point post office union city town county state national world
    global cloud data server client test bug issue ticket build release version master branch
    merge commit patch deploy docker python java ruby rust swift go jenkins maven gradle linux
    ubuntu debian apache nginx redis kafka jira slack github gitlab windows apple google amazon
    microsoft android chrome firefox safari edge mac core engine node spark hadoop hive pig
    phoenix django flask rails spring angular react vue ember backbone mercury venus mars saturn
    apollo gemini atlas titan orion nova luna sol alpha beta gamma delta sigma omega echo bravo
    charlie victor tango zulu oscar romeo hotel kilo lima mike papa sierra uniform yankee x-ray
    paris london berlin rome madrid vienna sydney boston dallas austin houston denver phoenix
    jordan georgia virginia carolina florida india china france chad israel kenya malta monaco
    salem york orlando chester lincoln washington madison jackson date time name phone address email
    user bot agent customer subject account number status type princess royal pop tone boss roll
    block made said last list company comment link document message ticket channel person reader stack
    skip trace parts font valid unknown unique edit constant hook marks pages peer powers handy fancy odd
    held""")
"""English words and proper nouns that are also names in some locale: a name only with evidence."""

_ORG_WORDS = _words("""inc ltd llc plc gmbh corp corporation company co group foundation university college school institute
    team project service services labs lab solutions technologies technology systems software networks
    bank hospital church club association society council committee department ministry agency office
    center centre partners associates holdings international global studio studios media press news""")
"""Words of organisation names: they end a name (``Anna Schmidt Consulting``) and are never one."""

_TITLES = _words("mr mrs ms mx miss dr prof sir madam mme mlle herr frau sr sra srta dott dra ing mag fr hr")
_GREETINGS = _words(
    "hi hello hey dear thanks thank thx cheers regards best yours sincerely bye welcome congrats cc"
)
_PARTICLES = (
    "van|von|der|den|de|del|della|dello|delle|dei|degli|dal|dalla|di|da|du|dos|das|des|do|le|la|las|los"
    "|bin|binti|ibn|al|el|ter|ten|zu|af|av|mac|st"
)
_PARTICLE_SET = frozenset(_PARTICLES.split("|"))

_ENGLISH_TYPES = _words("""street st avenue ave av road rd lane ln drive dr boulevard blvd bd court ct way place pl
    square sq terrace ter parkway pkwy highway hwy circle cir crescent cres close trail trl alley aly row
    plaza loop path walk gardens gdns grove mews point pt ridge run vista green heights hts crossing xing
    expressway expy freeway fwy pike turnpike tpke junction jct rise hill hollow view manor park""")
"""English street types: written after the name and before no house number (``12 Main Street``)."""
_STREET_TYPES = _ENGLISH_TYPES | _words("""
    strasse straße str gasse weg allee platz ring damm ufer steig chaussee vej gade allé stræde vænget
    vägen gatan gränd väg gata gate veien vegen vei veg straat laan plein gracht kade singel steenweg dreef
    katu tie polku kuja vegur stígur braut utca út u rakpart tér körút köz sétány tee mnt puiestee iela
    ulica ul náměstí nábřeží trg cesta sokak cadde caddesi bulvar enparantza kalea etorbidea""")
"""Street types written after the street's name (English and European)."""

_STREET_PREFIXES = _words("""rue avenue av avenida avda calle c carrer camino paseo plaza plazuela via viale piazza piazzale corso
    largo vicolo strada rua travessa estrada alameda boulevard bd blvd chemin allée allee impasse place
    quai route ruelle cours ulica ul aleja al calea strada bulevardul jalan jl jln lorong soi odos trg r c/
    οδός λεωφ λεωφόρος πλατεία ул улица пр проспект пер вул вулиця""")
"""Street types written before the street's name (``Rue de la Paix``, ``Via Roma``, ``Calle Mayor``)."""

_STREET_ENDINGS = (
    "straße", "strasse", "str.", "gasse", "weg", "allee", "platz", "damm", "ufer", "vej", "gade",
    "vägen", "gatan", "gränd", "stigen", "veien", "vegen", "gata", "straat", "laan", "plein",
    "gracht", "dijk", "kade", "steenweg", "katu", "polku", "vegur", "stígur", "braut", "utca", "tie",
    "stræti", "stræde", "singel",
)  # fmt: skip
"""Endings of one-word street names (``Hauptstraße``, ``Storgatan``, ``Hlíðarvegur``)."""

_ABBREVIATIONS = _words(
    "st ave av rd ln dr blvd bd ct pl sq ter pkwy hwy cir cres trl str jl jln ul al u mnt"
)
_UNIT_WORDS = _words("apt apartment suite ste unit flat room rm floor fl bldg building postbox postfach box")
_UNIT = r"(?:apt|apartment|suite|ste|unit|flat|room|rm|floor|fl|bldg|building|postbox|postfach|p\.?o\.? box)\b\.?[ \t]*#?[ \t]*(?:\d[\w-]{0,5}|[A-Za-z]\d{0,4})\b|\#[ \t]*\d{1,5}\b"
_POSTCODE = r"\d{4,6}(?:-\d{3,4})?|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|\d{3}[ ]\d{2}|\d{2}-\d{3}"
_SPEECH = r"said|says|wrote|writes|asked|asks|replied|replies|told|tells|thinks|thought|added|explained|noted|commented|mentioned|suggested|shouted|answered|agreed|called|yelled|whispered"
_VOCATIVE = r"can|could|would|will|please|do|did|are|is|have|what|how|why|where|when|i|we|you|thanks|thank"
_MILITARY = r"\b(?:(?:Unit|PSC) \d{4},? Box \d{4}|(?:USNS|USNV|USS|USCGC) [^\W\d_]+)\s+[ADF]PO A[AEP] \d{5}\b"


@dataclass(frozen=True)
class Lexicon:
    """The word sets and compiled patterns of the detector, built once by :func:`lexicon`.

    Attributes:
        first: given names of every Faker locale, lower case.
        last: surnames of every Faker locale, lower case.
        common: English words, places and organisation words; a listed token among them is a name
            only with evidence.
        never_alone: tokens that are never a one-word name (stop words, and common words in no list).
        street_words: words of Faker's street names (``Tavcarjeva``), not names, not English.
        street_types: street-type words (:data:`_STREET_TYPES` and Faker's street suffixes).
        run_re: runs of capitalised tokens.
    """

    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]
    never_alone: frozenset[str]
    street_words: frozenset[str]
    street_types: frozenset[str]
    run_re: re.Pattern[str]


def _values(value: object) -> list[str]:
    """The strings of a Faker list or weighted dict (tuples, such as name pairs, flattened)."""
    if isinstance(value, dict):
        value = list(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [s for v in value for s in ([v] if isinstance(v, str) else _values(v))]
    return []


def _tokens(values: list[str]) -> set[str]:
    """The lower-cased words (two letters or more) of ``values``."""
    return {t for v in values for t in re.split(r"[\s.]+", v.lower()) if len(t) >= 2 and not t.isdigit()}


def _upper_class() -> str:
    """A regex character class of every upper- and title-case letter of the BMP, as ranges."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if chr(code).isupper() or chr(code).istitle():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return (
        "[" + "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges) + "]"
    )


def _providers(package: str) -> list[type]:
    """The ``Provider`` class of every locale module of a Faker provider package."""
    import importlib
    import pkgutil

    base = importlib.import_module(package)
    return [
        importlib.import_module(f"{package}.{m.name}").Provider for m in pkgutil.iter_modules(base.__path__)
    ]


_FIRST_ATTR = re.compile(r"^(?:first|middle)_(?:\w+_)?names?(?:_|$)|^first_name_\w*pairs$")
_LAST_ATTR = re.compile(r"^(?:\w+_)?last_(?:\w+_)?names?(?:_|$)|^last_name_pairs$")


@cache
def lexicon() -> Lexicon:
    """Faker's names and street vocabulary across locales, and the patterns over them (built once)."""
    first: set[str] = set()
    last: set[str] = set()
    for provider in _providers("faker.providers.person"):
        for attr, value in vars(provider).items():  # first_names_female, last_romanized_names, ...
            if _FIRST_ATTR.search(attr):
                first |= _tokens(_values(value))
            elif _LAST_ATTR.search(attr):
                last |= _tokens(_values(value))
    first -= _STOP | _PARTICLE_SET
    last -= _STOP | _PARTICLE_SET
    street_words: set[str] = set()
    suffixes: set[str] = set()
    for provider in _providers("faker.providers.address"):
        for attr in (
            "streets",
            "street_names",
            "street_titles",
            "common_street_names",
            "frequent_street_names",
        ):
            street_words |= _tokens(_values(getattr(provider, attr, ())))
        for attr in ("street_suffixes", "street_suffixes_short", "street_suffixes_long"):
            values = _values(getattr(provider, attr, ()))
            suffixes |= {v.strip(" .").lower() for v in values if re.fullmatch(r"[A-Z]\w{2,}\.?", v.strip())}

    from faker.providers.address.en_US import Provider as Places
    from faker.providers.color.en_US import Provider as Colors
    from faker.providers.company.en_US import Provider as Company
    from faker.providers.job.en_US import Provider as Jobs
    from faker.providers.lorem.en_US import Provider as Lorem

    english = [*Lorem.word_list, *Jobs.jobs, *Colors.all_colors]
    english += [w for words in (*Company.catch_phrase_words, *Company.bsWords) for w in words]
    places = _tokens([*Places.states, *Places.countries])  # Georgia, Jordan, Chad: names only with evidence
    common = _COMMON | _ORG_WORDS | places | _tokens([re.sub(r"[^\w\s]", " ", w) for w in english])
    names = first | last
    up = _upper_class()
    letter = r"[^\W\d_]"
    rest = rf"{letter}*(?:['’](?![sS]\b){letter}+)*(?:-{letter}+)*"
    return Lexicon(
        first=frozenset(first),
        last=frozenset(last),
        common=frozenset(common),
        never_alone=frozenset(_STOP | _NAME_BREAKS | (common - names)),
        street_words=frozenset(street_words - _STOP - common - names),
        street_types=frozenset(_STREET_TYPES | (suffixes - common - _STOP - names)),
        # A capitalised token not inside a word, then more joined by spaces, particles or initials;
        # the class comes first so that the regex engine skips quickly to the next capital.
        run_re=re.compile(
            rf"{up}(?<![\w'’#/.\-]{up}){rest}"
            rf"(?:[ \t]+(?:(?:{_PARTICLES})[ \t]+){{0,2}}(?:{up}\.(?=[ \t]+{up})|{up}{rest}))*(?![\w@]|\.\w)"
        ),
    )


# -- name evidence -------------------------------------------------------------------------------

_SURNAME_ENDINGS = (
    "ić", "vić", "ová", "ova", "eva", "ski", "ska", "sky", "ská", "ský", "wicz", "czyk", "iak", "ovich",
    "evich", "enko", "escu", "oglu", "oğlu", "yan", "ian", "idis", "opoulos", "akis", "sson", "sen",
    "quez", "vili", "adze", "dóttir", "ov", "ev", "ishvili",
)  # fmt: skip
"""Endings that mark an unlisted capitalised token as a surname (``Mikolčić``, ``Kowalski``)."""

_ENGLISH_ENDINGS = (
    "ly", "ment", "tion", "sion", "ness", "ity", "ing", "able", "ible", "ful", "less", "ous", "ive", "ship",
    "ism", "ics", "ware", "ed", "ary", "ery", "ory", "ance", "ence", "ology",
)  # fmt: skip
"""Endings of English words (``Weekly``, ``Entertainment``): such a token is a name only beside a listed one."""
_CONTRACTIONS = ("'t", "’t", "'m", "’m", "'re", "’re", "'ve", "’ve", "'ll", "’ll", "'d", "’d")


def _english(low: str) -> bool:
    """Whether an unlisted token looks like an English word by its ending."""
    return low.endswith(_ENGLISH_ENDINGS)


_LOWER_NOT_NAMES = _words("""is was are were went goes gone going said says has had got gets made makes took takes gave gives
    came comes told tells asked asks thinks knows works lives called calls wrote writes sent sends likes
    loves wants needs will would can could should must might may shall did does do also too very really
    version recorded song songs fan film movie album book page team group company office address name
    number phone email account card who which what when where why how that this then than just only""")
"""Lower-case words never taken as the surname after a lower-case given name."""

_STRONG_CUES = _words("""hi hello hey dear thanks thx cheers cc bcc says said asked ask asks told tell ping pinged met
    meet call called named attn contact mr mrs ms mx dr prof sir madam miss love regards best sincerely
    yours wife husband son daughter mother father brother sister friend colleague boss manager uncle aunt
    cousin starring name user customer client author attendee assignee reporter owner""")
"""The word before a name that makes it a name (``Dear X``, ``cc X``, ``Name: X``, ``@X``)."""
_WEAK_CUES = _words("to for or and with me him her us")
_BY_FROM = _words("by from")
"""The word before a capitalised word that makes a name likelier (``with X``, ``call me X``)."""
_COORDINATION = re.compile(r"[ \t]*(?:,|&|and|or|,[ \t]*and|,[ \t]*or)[ \t]*")
_NAME_SUFFIX = re.compile(r"[ \t]*,?[ \t]*(?:Jr|Sr|II|III|IV|MD|DDS|DVM|PhD|Ph\.D|Esq|MBA|RN)\b\.?")
_NAME_BREAKS = _words("street avenue road boulevard drive lane way") | _ORG_WORDS
"""Words that end a name: ``Baker Street`` is a street, not a person called Street."""


# -- names ---------------------------------------------------------------------------------------

Token = tuple[int, int, str]
"""A token: start, end, lower-cased text."""

_SPEECH_AFTER = re.compile(
    rf"[ \t]*,?[ \t]*(?P<speech>{_SPEECH})\b|:[ \t]|,(?=[ \t]+(?:{_VOCATIVE})\b)", re.IGNORECASE
)
_PARTICLES_BEFORE = re.compile(r"(?:^|[ \t])((?:(?:van|von|de|der|den|di|da|du|le|la)[ \t]+){1,2})$")
_TOKEN = re.compile(r"[^ \t]+")
_LOWER_WORD = re.compile(r"(?<![\w@#/.\-])[^\W\d_]+(?:['’](?!s\b)[^\W\d_]+)*(?![\w@])")
_TWO_WORD_CUES = frozenset({("thank", "you"), ("i", "am"), ("name", "is"), ("this", "is")})


def _sentence_start(text: str, at: int) -> bool:
    """Whether only spaces, quotes or brackets stand between ``at`` and a sentence or line start."""
    i = at - 1
    while i >= 0 and text[i] in " \t\"'“‘([*>-":
        i -= 1
    return i < 0 or text[i] in ".!?\n:;…"


def _cue_before(text: str, start: int) -> tuple[int, bool]:
    """The cue level of the words before ``start`` (0 none, 1 weak, 2 strong), and whether it is a title."""
    before = text[max(0, start - 20) : start].rstrip(" \t")
    if not before:
        return 0, False
    if before[-1] == "@":
        return 2, False
    words = before.lower().replace(":", " ").replace(",", " ").split()
    if not words:
        return 0, False
    last = words[-1].rstrip(".")
    if last in _TITLES:
        return 2, True
    if last in _BY_FROM:  # "written by X", "a note from X"; but "From X" may head a section
        return (2 if before.rsplit(None, 1)[-1][0].islower() else 1), False
    if last in _STRONG_CUES or (len(words) > 1 and (words[-2], last) in _TWO_WORD_CUES):
        return 2, False
    return (1 if last in _WEAK_CUES else 0), False


def _cue_after(text: str, end: int) -> int:
    """The cue level of what follows a name: a verb of speech (2), a colon or a vocative comma (1)."""
    after = _SPEECH_AFTER.match(text, end)
    if after:
        return 2 if after.group("speech") else 1
    return 0


@dataclass(slots=True)
class _Group:
    """Consecutive tokens that may form one name, and the evidence about them."""

    tokens: list[Token]
    cue: int = 0  # 0 none, 1 weak (``with X``), 2 strong (``Dear X``, ``X said``)
    title: bool = False
    score: float = 0.0


def _listed(low: str, lex: Lexicon, word: str = "") -> bool:
    """Whether a token is in the name lists, or hyphenated or O'-joined of capitalised parts, one listed.

    ``Jean-Luc`` and ``O'Brien`` are listed through their parts; ``Cross-cutting`` is not.
    """
    if low in lex.first or low in lex.last:
        return True
    if word and ("-" in low or "'" in low or "’" in low):
        parts = [p for p in re.split(r"[-'’]", word) if len(p) > 1]
        return all(p[0].isupper() for p in parts) and any(
            p.lower() in lex.first or p.lower() in lex.last for p in parts
        )
    return False


def _judge(group: _Group, lex: Lexicon, text: str, *, start: bool, lower: bool) -> float:
    """Confidence that the group is a person's name, 0 when it is not taken."""
    strong = weak = unknown = surnames = 0
    first_weak = False
    for i, (s, e, low) in enumerate(group.tokens):
        if low in _PARTICLE_SET or len(low) == 1:  # particles and initials are neutral
            continue
        listed, common = _listed(low, lex, text[s:e]), low in lex.common
        if listed and not common and (lower or e - s < 2 or not text[s:e].isupper()):
            strong += 1
        elif listed:
            weak += 1
            first_weak = first_weak or (i == 0 and low in lex.first)
        else:
            unknown += 1
            surnames += low.endswith(_SURNAME_ENDINGS) and not common
    n = strong + weak + unknown
    cue = group.cue
    if lower:
        return (0.85 if n > 1 else 0.6) if strong else 0.0
    if group.title:
        return 0.9 if unknown <= 1 or strong else 0.7
    if strong and n > 1:
        return 0.9 if unknown == 0 else 0.85 if unknown <= strong else 0.5
    if strong:  # one listed token
        return 0.85 if cue else 0.7 if start else 0.75
    if weak and n > 1 and (unknown == 0 or (first_weak and unknown == 1)):  # Will Young, Scott Vodir
        return 0.8 if cue else 0.45 if start else 0.6
    if unknown == n and 1 < n <= 3:  # Gairbekov Vodir: unlisted, title case, no English-looking word
        names = [(s, e, low) for s, e, low in group.tokens if low not in _PARTICLE_SET and e - s > 1]
        if all(text[s + 1 : e].islower() and not _english(low) for s, e, low in names):
            return 0.7 if cue else 0.45 if start else 0.5
    if n == 1 and surnames and not start:  # Mikolčić
        return 0.7 if cue else 0.6
    if n == 1 and cue == 2:  # Thanks Will; Dear Gairbekov
        return 0.45 if start and weak else 0.6
    if n == 1 and weak and cue and first_weak:  # with Oscar; Oscar, can you
        return 0.45 if start else 0.5
    return 0.0


def _lower_groups(text: str, lex: Lexicon) -> list[_Group]:
    """Name groups of a text written without capitals: listed tokens, and a surname after a given name."""
    groups: list[_Group] = []
    group: list[Token] = []
    first, last, common = lex.first, lex.last, lex.common
    for m in _LOWER_WORD.finditer(text):
        low = m.group()
        adjacent = bool(group) and not text[group[-1][1] : m.start()].strip(" \t")
        listed = (low in first or low in last) and low not in common and len(low) > 2
        if listed and (adjacent or not group):
            group.append((m.start(), m.end(), low))
            continue
        if (
            adjacent
            and len(group) == 1
            and group[0][2] in first
            and len(low) > 2
            and low not in _STOP
            and low not in common
            and low not in _LOWER_NOT_NAMES
            and not low.endswith(("ing", "ed", "ly"))
        ):
            groups.append(_Group([*group, (m.start(), m.end(), low)]))
            group = []
            continue
        if group:
            groups.append(_Group(group))
        group = [(m.start(), m.end(), low)] if listed else []
    if group:
        groups.append(_Group(group))
    return groups


def _capital_groups(text: str, lex: Lexicon, streets: list[tuple[int, int]]) -> list[_Group]:
    """Groups of name-like tokens in runs of capitalised words, split at stop words, titles and cues.

    A run that ends in a street type (``Baker Street``) is added to ``streets`` as ``(start, end)``.
    """
    groups: list[_Group] = []
    never_alone, first, last, common = lex.never_alone, lex.first, lex.last, lex.common
    for m in lex.run_re.finditer(text):
        start, end = m.span()
        run = m.group()
        if " " not in run and "\t" not in run:  # one token: the common case, kept cheap
            low = run.lower()
            if low in never_alone:
                continue
            tokens: list[Token] = [(start, end, low)]
        else:
            tokens = [
                (t.start(), t.end(), t.group().lower().rstrip(".")) for t in _TOKEN.finditer(text, start, end)
            ]
        if start > 2 and text[start - 1] == " " and text[start - 2].islower():  # van Gijn, de Vaan
            particles = _PARTICLES_BEFORE.search(text, max(0, start - 12), start)
            if particles:
                tokens[:0] = [
                    (t.start(), t.end(), t.group()) for t in _TOKEN.finditer(text, particles.start(1), start)
                ]
        group = _Group([])
        for s, e, low in tokens:
            if low in _PARTICLE_SET and text[s].islower():
                group.tokens.append((s, e, low))
                continue
            listed = low in first or low in last
            if (
                low in _STOP
                or low in _NAME_BREAKS
                or (not listed and (low in common or low in _STRONG_CUES or low.endswith(_CONTRACTIONS)))
                or (not listed and _not_a_name_shape(text[s:e]) and text[s - 1 : s] != "@")
            ):
                if group.tokens:
                    groups.append(group)
                    if low in lex.street_types and low not in _ABBREVIATIONS:
                        streets.append((group.tokens[0][0], e))
                title = low in _TITLES
                cue = 2 if title or low in _GREETINGS or low in _STRONG_CUES else 0
                group = _Group([], cue=cue, title=title)
                continue
            group.tokens.append((s, e, low))
        if group.tokens:
            groups.append(group)
    return groups


_NAME_PREFIXES = ("Mc", "Mac", "O'", "O’", "De", "Di", "Da", "La", "Le", "Van", "Von", "St")


def _not_a_name_shape(word: str) -> bool:
    """An acronym (``NASA``) or a camel-case word (``TicketEvent``; ``McDonald`` and ``DeVito`` are names)."""
    word = word.rstrip(".")
    if word.isupper():
        return 1 < len(word) <= 3
    inner = word[1:]
    return inner != inner.lower() and "-" not in word and not word.startswith(_NAME_PREFIXES)


def _name_spans(text: str, lex: Lexicon, *, lower: bool, streets: list[tuple[int, int]]) -> list[Span]:
    groups = _lower_groups(text, lex) if lower else _capital_groups(text, lex, streets)
    out: list[Span] = []
    pending: list[_Group] = []
    for group in groups:
        tokens = group.tokens
        while tokens and (tokens[-1][2] in _PARTICLE_SET or len(tokens[-1][2]) == 1):
            tokens.pop()  # a name ends on a name, not on a particle or an initial
        while len(tokens) > 2 and tokens[1][2] in lex.first and not _listed(tokens[0][2], lex):
            tokens.pop(0)  # Producer Thomas Speer: an unlisted word before a given name is not the name
        while len(tokens) > 1 and _english(tokens[-1][2]) and not _listed(tokens[-1][2], lex):
            tokens.pop()  # Anna Schmidt Consulting
        if not tokens or all(low in _PARTICLE_SET for _, _, low in tokens):
            continue
        start, end = tokens[0][0], tokens[-1][1]
        if not group.title:
            cue, group.title = _cue_before(text, start)
            group.cue = max(group.cue, cue)
        if group.cue < 2:
            group.cue = max(group.cue, _cue_after(text, end))
        group.score = _judge(group, lex, text, start=_sentence_start(text, start), lower=lower)
        if group.score:
            out.append(_person(text, group))
        elif not lower and len(tokens) <= 3:
            pending.append(group)
    if pending and out:
        out.extend(_coordinated(text, pending, out))
    return out


def _person(text: str, group: _Group) -> Span:
    end = group.tokens[-1][1]
    suffix = _NAME_SUFFIX.match(text, end)
    return Span("person", group.tokens[0][0], suffix.end() if suffix else end, group.score, "names")


def _coordinated(text: str, pending: list[_Group], found: list[Span]) -> list[Span]:
    """Groups listed with accepted names (``Malon, Mark, Kaylee and Brandi``), taken at 0.55."""

    def linked(start: int, end: int, spans: list[Span]) -> bool:
        return any(
            (start - 8 <= s.end < start and _COORDINATION.fullmatch(text, s.end, start))
            or (end < s.start <= end + 8 and _COORDINATION.fullmatch(text, end, s.start))
            for s in spans
        )

    # a list spreads from a full or cued name, or from two names listed together
    seeds = [
        s for s in found if s.confidence >= 0.8 or linked(s.start, s.end, [o for o in found if o is not s])
    ]
    if not seeds:
        return []
    ends = {s.end for s in seeds}
    starts = {s.start for s in seeds}
    taken: list[Span] = []
    while pending:
        rest = []
        for group in pending:
            start, end = group.tokens[0][0], group.tokens[-1][1]
            if text[start:end].isupper():
                continue
            if any(_COORDINATION.fullmatch(text, e, start) for e in ends if start - 8 <= e < start) or any(
                _COORDINATION.fullmatch(text, end, s) for s in starts if end < s <= end + 8
            ):
                group.score = 0.55
                span = _person(text, group)
                taken.append(span)
                ends.add(span.end)
                starts.add(span.start)
            else:
                rest.append(group)
        if len(rest) == len(pending):
            break
        pending = rest
    return taken


# -- street addresses ----------------------------------------------------------------------------

_WORD = r"(?:\d{1,4}(?:st|nd|rd|th)|[Cc]/|[^\W\d_][\w'’\-]*\.?)"
_NUMBER = re.compile(r"\d(?<![\w.,:/$€£#+\-]\d)\d{0,4}(?:[-/]\d{1,4})?[A-Za-z]?(?![\w:/@]|[.,]\d)")
_AFTER_NUMBER = re.compile(rf"(?:[ \t]+(\d{{1,5}}[A-Za-z]?))?[ \t]+({_WORD}(?:[ \t]+{_WORD}){{0,5}})")
_BEFORE_NUMBER = re.compile(rf"(?<![\w'’.\-])({_WORD}(?:[ \t]+{_WORD}){{0,3}}),?[ \t]+$")
_TRAILING_NUMBER = re.compile(r"[ \t]+\d{1,5}[A-Za-z]?\b(?![.,:/]\d)\.?")
_UNIT_AT = re.compile(_UNIT, re.IGNORECASE)
_PART = re.compile(
    rf"(?P<sep>(?:[ \t]*[,\n][ \t>?*]*){{1,3}}|[ \t]+)(?:(?P<unit>{_UNIT})|(?P<code>{_POSTCODE})(?![\w-])"
    r"|(?P<place>[^\W\d_](?:[^\W\d]|['’.\-])*+(?!\d)(?:[ \t]+[^\W\d_](?:[^\W\d]|['’.\-])*+(?!\d)){0,5}))",
    re.IGNORECASE,
)
_LINE_END = re.compile(r"[ \t]*(?:[,.;!?)]|$|\d)", re.MULTILINE)
_MILITARY_RE = re.compile(_MILITARY, re.IGNORECASE)
_CONNECTORS = _words("of the and de del la le di da do sur am an im u nad pod na bei")
_PLACE_WORDS = _words("st new old saint")
_ADDRESS_CUES = _words("at address addresses")
_PREPOSITIONS = _words("on at in to from along near off down up onto into via")


def _low(word: str) -> str:
    return word.lower().rstrip(".,")


def _word_ok(word: str, lower: bool) -> bool:
    """A word that may be part of a street's name: capitalised (any case in lower-case text), not a stop word."""
    low = _low(word)
    return (lower or word[0].isupper() or word[0].isdigit()) and (low not in _STOP or low in _PLACE_WORDS)


def _prefix(word: str, lower: bool) -> bool:
    """A street type written first (``Rue``, ``Via``, ``quai``); an English word among them capitalised."""
    low = _low(word)
    return low in _STREET_PREFIXES and (lower or word[0].isupper() or low not in _ENGLISH_PREFIXES)


_ENGLISH_PREFIXES = _words("via al c r bd av pl")


def _is_type(word: str, lex: Lexicon) -> bool:
    low = _low(word)
    return low in lex.street_types or (
        len(low) >= 5 and any(low.endswith(e) and len(low) >= len(e) + 3 for e in _STREET_ENDINGS)
    )


def _end_of(word_end: int, word: str) -> int:
    """Where a street word ends: its final dot kept only after an abbreviation (``St.``, ``Str.``)."""
    return word_end - 1 if word.endswith(".") and _low(word) not in _ABBREVIATIONS else word_end


def _split(m: re.Match[str], group: int) -> list[Token]:
    return [(t.start(), t.end(), t.group()) for t in _TOKEN.finditer(m.string, m.start(group), m.end(group))]


def _street_after(
    text: str, words: list[Token], lex: Lexicon, lower: bool, numbers: int
) -> tuple[int, float]:
    """End offset and confidence of the street that starts at ``words`` after ``numbers`` numbers, else (0, 0)."""
    unit = _UNIT_AT.match(text, words[0][0])
    if unit:  # 43 P.O. Box 178
        return unit.end(), 0.8
    named = [w for w in words[1:] if w[2] not in _PARTICLE_SET]
    if _prefix(words[0][2], lower) and named and _word_ok(named[0][2], lower):
        end = 0  # Rue de la Paix, via Roma, quai Voltaire, Trg revolucije
        for _, e, w in words[1:6]:
            if (_low(w) in _STOP and w not in _PARTICLE_SET) or _low(w) in _UNIT_WORDS:
                break
            end = _end_of(e, w)
            if _is_type(w, lex):
                break
        return end, 0.9
    ok = 0  # words that may name a street, particles inside included
    for i, (_, e, w) in enumerate(words[:6]):
        if i and _is_type(w, lex):  # Baker Street, Main St., Wesselényi u., Hugo de Grootlaan
            return _end_of(e, w), 0.95
        if not (_word_ok(w, lower) or (i and w in _PARTICLE_SET)) or (i and _low(w) in _UNIT_WORDS):
            break
        if i == 0 and _is_type(w, lex) and _low(w) not in lex.street_types:  # Hauptstraße, Storgatan
            return _end_of(e, w), 0.85
        ok = i + 1
    while ok and words[ok - 1][2] in _PARTICLE_SET:
        ok -= 1
    ok = min(ok, 4)
    if not ok or not all(_plain_word(w) for _, _, w in words[:ok]):
        return 0, 0.0
    end = _end_of(words[ok - 1][1], words[ok - 1][2])
    if any(_low(w) in lex.street_words for _, _, w in words[:ok]):
        return end, 0.7
    for k in range(ok, 0, -1):  # 37 Melum 50: a name between two numbers
        if _TRAILING_NUMBER.match(text, words[k - 1][1]):
            return words[k - 1][1], 0.7
    if numbers > 1 or _extend(text, end, lower)[1]:  # 52 58 Machiton Scholis; Adelianos Kambos\nSuite 4
        return end, 0.6
    return 0, 0.0


_CALENDAR = _words("""january february march april may june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday mon tue tues wed thu thur thurs fri sat sun""")


def _plain_word(word: str) -> bool:
    """A word as street and place names are written, not a tool's token.

    Not a log level or other single letter (``W``, ``D``), not an acronym (``SDK``, ``XL``), not
    camel case (``XCode``, ``TiApplication``), no underscore or digit.
    """
    letters = word.rstrip(".,")
    if len(letters) < 2 or "_" in letters or any(c.isdigit() for c in letters):
        return False
    if letters.lower() in _CALENDAR:  # 22 Nov 2016, 10 August 2018
        return False
    if letters.isupper():
        return False
    return not any(a.islower() and b.isupper() for a, b in pairwise(letters))


def _street_before(words: list[Token], lex: Lexicon, lower: bool) -> tuple[int, float]:
    """Start offset and confidence of the street name that ends right before a house number."""
    i = len(words)
    while i > 0 and (
        _word_ok(words[i - 1][2], lower)
        or words[i - 1][2] in _PARTICLE_SET
        or _is_type(words[i - 1][2], lex)
        or _prefix(words[i - 1][2], lower)
    ):
        i -= 1
    while i < len(words) and words[i][2] in _PARTICLE_SET:
        i += 1
    cue = words[i - 1][2].lower().rstrip(":") if i else ""
    words = words[i:]
    if not words:
        return 0, 0.0
    for s, _, w in words[:-1]:
        if _prefix(w, lower):  # Via Carlo Cattaneo 130
            return s, 0.9
    last = words[-1][2]
    if _is_type(last, lex):
        if len(words) < 2 and (_low(last) in _STREET_TYPES or _low(last) in lex.street_types):
            return 0, 0.0  # a street type alone is no street ("Port 8324"); Hauptstraße 5 is
        named = words[max(0, len(words) - 4) : -1]
        if not all(_plain_word(w) for _, _, w in named):
            return 0, 0.0
        if _low(last) in _ENGLISH_TYPES or _low(last) in lex.street_types - _STREET_TYPES:
            # English puts the number first: "Repeat steps 2-4" and "Click Row 10" are not streets.
            return 0, 0.0
        return words[max(0, len(words) - 4)][0], 0.85  # Freistädter Strasse 61, Hlíðarvegur 25
    if not all(_plain_word(w) for _, _, w in words):
        return 0, 0.0
    if _low(last) in lex.street_words and len(words) >= 2:
        return words[-1][0], 0.6
    if cue in _ADDRESS_CUES and len(words) <= 3 and not any(_low(w) in lex.common for _, _, w in words):
        return words[0][0], 0.55  # lives at Joaquin Suarez 2906
    return 0, 0.0


def _extend(text: str, end: int, lower: bool) -> tuple[int, bool]:
    """``end`` moved over the unit, city, state, country and postcode that follow a street.

    Returns:
        The new end, and whether a unit or postcode was among what it moved over.
    """
    strong = False
    for _ in range(7):
        m = _PART.match(text, end)
        if not m or m.group("sep").count("\n") > 2:
            break
        place = m.group("place")
        if place is None:
            end, strong = m.end(), True
            continue
        at, last = m.start("place"), 0
        for w in _TOKEN.finditer(place):
            word = w.group()
            low = _low(word)
            if word in _CONNECTORS and last:
                continue
            if word.isupper() and len(word) > 1:  # a state code (NO, ON, IL) or a city in capitals
                pass
            elif (low in _STOP and low not in _PLACE_WORDS) or not (lower or word[0].isupper()):
                break
            last = at + w.end()
            if word.endswith(".") and len(word) > 4:  # Torino. ends the sentence, not an abbreviation
                last -= 1
                break
        if not last or ("\n" in m.group("sep") and not _LINE_END.match(text, last)):
            break  # a line of its own must be a place to its end
        end = last
    return end, strong


def _address_spans(text: str, lex: Lexicon, *, lower: bool, streets: list[tuple[int, int]]) -> list[Span]:
    out = []
    if "PO A" in text or "po a" in text:  # USNS Jones FPO AP 12345
        out = [Span("street_address", m.start(), m.end(), 0.9, "names") for m in _MILITARY_RE.finditer(text)]
    covered = out[-1].end if out else 0
    for m in _NUMBER.finditer(text):
        if m.start() < covered:
            continue
        start = end = 0
        score = 0.0
        after = _AFTER_NUMBER.match(text, m.end())
        if after:
            end, score = _street_after(text, _split(after, 2), lex, lower, 2 if after.group(1) else 1)
            start = m.start()
        before = _BEFORE_NUMBER.search(text, max(covered, m.start() - 60), m.start())
        if before:  # Via Nizza 60; and Carry van Bruggenweg 77 Halkoaho Street
            words = _split(before, 1)
            at, found = _street_before(words, lex, lower)
            if found:
                start, score, end = at, max(score, found), end or m.end()
            elif not end and _UNIT_AT.match(text, words[-1][0]):  # Suite 200 on its own
                out.append(Span("street_address", words[-1][0], m.end(), 0.5, "names"))
                continue
        if not end:
            continue
        tail = _TRAILING_NUMBER.match(text, end)
        end = _extend(text, tail.end() if tail else end, lower)[0]
        out.append(Span("street_address", start, end, score, "names"))
        covered = end
    for start, end in streets:  # on Baker Street (no number)
        preceding = text[max(0, start - 8) : start].split()
        if (
            preceding
            and preceding[-1].lower() in _PREPOSITIONS
            and not any(s.start <= start < s.end for s in out)
        ):
            out.append(Span("street_address", start, end, 0.6, "names"))
    return out


def detect_names(text: str) -> list[Span]:
    """Spans of person names (kind ``person``) and street addresses (``street_address``) in ``text``."""
    if not text:
        return []
    lex = lexicon()
    lower = text.islower()
    streets: list[tuple[int, int]] = []
    names = _name_spans(text, lex, lower=lower, streets=streets)
    return _address_spans(text, lex, lower=lower, streets=streets) + names
