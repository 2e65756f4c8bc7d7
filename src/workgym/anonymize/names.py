"""Layer 4: person names that no directory knows, found in free text.

Given names and surnames come from every person provider Faker ships (about 64,000
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
(``Name:``), ``calls me``, ``by``/``from`` inside a sentence, a verb of speech after the name
(``said``), or a listed name opening a line of dialogue (``Amber:"I'm ..."``); a weak one is
``with``, ``to``, ``and``, a colon after the name, or a vocative comma (``Oscar, can you``).
A common English word that is also a name (``Will``, ``May``, ``Mark``, ``Grant``, ``Bill``,
``Rose``) is never a name alone without a cue. Acronyms (``NASA``), camel case (``TicketEvent``)
and words with English endings (``Weekly``) are not names. A possessive ends the name (``Anna's``
gives ``Anna``); a suffix joins it (``Joshua Okamoto MD``). A text with no capital letter at all
is read in lower-case mode: listed tokens that are not English words, and a surname after them.

A group before a street or place type (``Mountain View``, ``Kowalski Street``) names a place, not a
person; street addresses are :mod:`workgym.anonymize.addresses`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from workgym.anonymize.faker_words import providers as _providers
from workgym.anonymize.faker_words import tokens as _tokens
from workgym.anonymize.faker_words import values as _values
from workgym.anonymize.faker_words import words as _words
from workgym.anonymize.spans import Span

# -- word lists (lower case) -------------------------------------------------------------------

STOP_WORDS = _words("""a an the this that these those there here i me my mine we us our you your he him his she her
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
PARTICLES = frozenset(_PARTICLES.split("|"))
"""Particles inside names (``van der Berg``, ``bin Said``): part of a name, never one alone."""

_SPEECH = r"said|says|wrote|writes|asked|asks|replied|replies|told|tells|thinks|thought|added|explained|noted|commented|mentioned|suggested|shouted|answered|agreed|called|yelled|whispered"
_VOCATIVE = r"can|could|would|will|please|do|did|are|is|have|what|how|why|where|when|i|we|you|thanks|thank"


@dataclass(frozen=True)
class Lexicon:
    """The word sets and compiled patterns of the detector, built once by :func:`lexicon`.

    Attributes:
        first: given names of every Faker locale, lower case.
        last: surnames of every Faker locale, lower case.
        common: English words, places and organisation words; a listed token among them is a name
            only with evidence.
        never_alone: tokens that are never a one-word name (stop words, and common words in no list).
        run_re: runs of capitalised tokens.
    """

    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]
    never_alone: frozenset[str]
    run_re: re.Pattern[str]


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


_FIRST_ATTR = re.compile(r"^(?:first|middle)_(?:\w+_)?names?(?:_|$)|^first_name_\w*pairs$")
_LAST_ATTR = re.compile(r"^(?:\w+_)?last_(?:\w+_)?names?(?:_|$)|^last_name_pairs$")


@cache
def lexicon() -> Lexicon:
    """Faker's names across locales, English words, and the patterns over them (built once)."""
    first: set[str] = set()
    last: set[str] = set()
    for provider in _providers("faker.providers.person"):
        for attr, value in vars(provider).items():  # first_names_female, last_romanized_names, ...
            if _FIRST_ATTR.search(attr):
                first |= _tokens(_values(value))
            elif _LAST_ATTR.search(attr):
                last |= _tokens(_values(value))
    first -= STOP_WORDS | PARTICLES
    last -= STOP_WORDS | PARTICLES
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
        never_alone=frozenset(STOP_WORDS | _NAME_BREAKS | (common - names)),
        # A capitalised token not inside a word, then more joined by spaces, particles or initials;
        # the class comes first so that the regex engine skips quickly to the next capital.
        run_re=re.compile(
            rf"{up}(?<![\w'’#/.\-]{up}){rest}"
            rf"(?:[ \t]+(?:(?:{_PARTICLES})[ \t]+){{0,2}}(?:{up}\.(?=[ \t]+{up})|{up}{rest}))*(?![\w@]|\.\w)"
        ),
    )


# -- name evidence -------------------------------------------------------------------------------

SURNAME_ENDINGS = (
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
    cousin kid nephew niece grandson granddaughter grandmother grandfather grandma grandpa mom mum
    dad fiance fiancé fiancee fiancée girlfriend boyfriend starring name user customer client author
    attendee assignee reporter owner""")
"""The word before a name that makes it a name (``Dear X``, ``cc X``, ``Name: X``, ``@X``)."""
_WEAK_CUES = _words("to for or and with me him her us")
_BY_FROM = _words("by from")
"""The word before a capitalised word that makes a name likelier (``with X``, ``call me X``)."""
_COORDINATION = re.compile(r"[ \t]*(?:,|&|and|or|,[ \t]*and|,[ \t]*or)[ \t]*")
_NAME_SUFFIX = re.compile(r"[ \t]*,?[ \t]*(?:Jr|Sr|II|III|IV|MD|DDS|DVM|PhD|Ph\.D|Esq|MBA|RN)\b\.?")
_LETTER_LABELS = _words("""appendix annex exhibit section chapter figure fig table tab part step phase stage
    option plan grade class type level round group item article model series vitamin schedule block row
    column col sheet zone sector area building wing floor unit track side volume vol""")
"""Words that label a letter (``Appendix A.``): the letter after them is no initial."""
_NAME_BREAKS = _words("street avenue road boulevard drive lane way apt suite") | _ORG_WORDS
"""Words that end a name: ``Baker Street`` is a street, not a person called Street; ``Apt.`` a unit."""


# -- names ---------------------------------------------------------------------------------------

Token = tuple[int, int, str]
"""A token: start, end, lower-cased text."""

_SPEECH_AFTER = re.compile(
    rf"[ \t]*,?[ \t]*(?P<speech>{_SPEECH})\b|:[ \t]|,(?=[ \t]+(?:{_VOCATIVE})\b)", re.IGNORECASE
)
_PLACE_AFTER = re.compile(
    r"[ ](?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Boulevard|Blvd|Lane|Drive|View|Square)\b"
)
"""A street or place type after a group: ``Mountain View`` and ``Kowalski Street`` name no one."""
_SPEAKER = re.compile(r':[ \t]?\\?["“][^\W\d_]')
_PARTICLES_BEFORE = re.compile(r"(?:^|[ \t])((?:(?:van|von|de|der|den|di|da|du|le|la)[ \t]+){1,2})$")
_TOKEN = re.compile(r"[^ \t]+")
_LOWER_WORD = re.compile(r"(?<![\w@#/.\-])[^\W\d_]+(?:['’](?!s\b)[^\W\d_]+)*(?![\w@])")
_TWO_WORD_CUES = frozenset(
    {("thank", "you"), ("i", "am"), ("name", "is"), ("this", "is")}
    | {(call, "me") for call in ("call", "calls", "called")}  # everyone calls me Izaak
)


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
    last = "name" if words[-1] == "name?" else words[-1].rstrip(".")  # What's your last name? Arcuri
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
        if low in PARTICLES or len(low) == 1:  # particles and initials are neutral
            continue
        listed, common = _listed(low, lex, text[s:e]), low in lex.common
        if listed and not common and (lower or e - s < 2 or not text[s:e].isupper()):
            strong += 1
        elif listed:
            weak += 1
            first_weak = first_weak or (i == 0 and low in lex.first)
        else:
            unknown += 1
            surnames += low.endswith(SURNAME_ENDINGS) and not common
    n = strong + weak + unknown
    cue = group.cue
    if lower:  # listed, or (from _lower_initialled and _lower_cued only) unlisted after a cue
        return (0.85 if n > 1 else 0.6) if strong else 0.6 if cue == 2 and unknown == n == 1 else 0.0
    if group.title:
        return 0.9 if unknown <= 1 or strong else 0.7
    if strong and n > 1:
        return 0.9 if unknown == 0 else 0.85 if unknown <= strong else 0.5
    if strong:  # one listed token
        return 0.85 if cue else 0.7 if start else 0.75
    if weak and n > 1 and (unknown == 0 or (first_weak and unknown == 1)):  # Will Young, Scott Vodir
        return 0.8 if cue else 0.45 if start else 0.6
    if unknown == n and 1 < n <= 3:  # Gairbekov Vodir: unlisted, title case, no English-looking word
        names = [(s, e, low) for s, e, low in group.tokens if low not in PARTICLES and len(low) > 1]
        if all(text[s + 1 : e].islower() and not _english(low) for s, e, low in names):
            initial = len(names) < len(group.tokens)  # Valida M. Ibragimov: an initial between names
            return 0.7 if cue or initial else 0.45 if start else 0.5
    if n == 1 and surnames and not start:  # Mikolčić
        return 0.7 if cue else 0.6
    if n == 1 and cue == 2:  # Thanks Will; Dear Gairbekov
        return 0.45 if start and weak else 0.6
    if n == 1 and weak and cue and first_weak:  # with Oscar; Oscar, can you
        return 0.45 if start else 0.5
    return 0.0


def _plain(low: str, lex: Lexicon) -> bool:
    """A lower-case word that may be a name: no stop word, common word or word of :data:`_LOWER_NOT_NAMES`."""
    return low not in STOP_WORDS and low not in lex.common and low not in _LOWER_NOT_NAMES


def _surname_like(low: str, lex: Lexicon) -> bool:
    """A plain lower-case word that does not end as a verb or adverb does (``going``, ``really``)."""
    return _plain(low, lex) and not low.endswith(("ing", "ed", "ly"))


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
        if adjacent and len(group) == 1 and group[0][2] in first and len(low) > 2 and _surname_like(low, lex):
            groups.append(_Group([*group, (m.start(), m.end(), low)]))
            group = []
            continue
        if group:
            groups.append(_Group(group))
        group = [(m.start(), m.end(), low)] if listed else []
    if group:
        groups.append(_Group(group))
    return groups + _lower_initialled(text, lex) + _lower_cued(text, lex)


_LOWER_CUED = re.compile(r"\b(?:name is|call me|calls me|called me)[ \t]+([^\W\d_]{3,})(?![\w@'’])")


def _lower_cued(text: str, lex: Lexicon) -> list[_Group]:
    """An unlisted word right after ``my name is`` or ``call me`` (``sometimes people call me višeslav``)."""
    groups = []
    for m in _LOWER_CUED.finditer(text):
        low = m.group(1)
        if low not in lex.first and low not in lex.last and _surname_like(low, lex):
            groups.append(_Group([(m.start(1), m.end(1), low)]))
    return groups


_LOWER_INITIAL = re.compile(r"(?<![\w@#/.\-])([^\W\d_]{3,}) ([^\W\d_])\.? ([^\W\d_]{3,})(?![\w@])")


def _lower_initialled(text: str, lex: Lexicon) -> list[_Group]:
    """``eric g. samoylova``, ``emidio p lombardo``: a listed name and a name-like word about an initial.

    After ``a`` or ``i``, which are words too (``told maria a story``), only a listed surname.
    """
    groups = []
    for m in _LOWER_INITIAL.finditer(text):
        given, initial, surname = m.group(1), m.group(2), m.group(3)
        if not (_plain(given, lex) and _plain(surname, lex)) or _english(surname):
            continue
        if initial in "ai" and surname not in lex.last:
            continue
        if any(w in lex.first or w in lex.last for w in (given, surname)):
            groups.append(_Group([(m.start(k), m.end(k), m.group(k)) for k in (1, 2, 3)]))
    return groups


def _capital_groups(text: str, lex: Lexicon) -> list[_Group]:
    """Groups of name-like tokens in runs of capitalised words, split at stop words, titles and cues."""
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
            initial = e - s == 2 and text[s + 1] == "."  # the run has one only between capitalised words
            if initial and group.tokens and group.tokens[-1][2] in _LETTER_LABELS:
                groups.append(group)  # Appendix A. Results
                group = _Group([])
                continue
            if (low in PARTICLES and text[s].islower()) or initial:
                group.tokens.append((s, e, low))  # van, de; Valida M. Ibragimov
                continue
            listed = low in first or low in last
            if (
                low in STOP_WORDS
                or low in _NAME_BREAKS
                or (not listed and (low in common or low in _STRONG_CUES or low.endswith(_CONTRACTIONS)))
                or (not listed and _not_a_name_shape(text[s:e]) and text[s - 1 : s] != "@")
            ):
                if group.tokens:
                    groups.append(group)
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


def _name_spans(text: str, lex: Lexicon, *, lower: bool) -> list[Span]:
    groups = _lower_groups(text, lex) if lower else _capital_groups(text, lex)
    out: list[Span] = []
    weak: list[_Group] = []
    for group in groups:
        tokens = group.tokens
        mail = not lower and bool(tokens) and _mail_evidence(text, tokens[0][0], tokens[-1][1])
        while tokens and (tokens[-1][2] in PARTICLES or len(tokens[-1][2]) == 1) and not mail:
            tokens.pop()  # a name ends on a name, not on a particle or an initial
        while len(tokens) > 2 and tokens[1][2] in lex.first and not _listed(tokens[0][2], lex):
            tokens.pop(0)  # Producer Thomas Speer: an unlisted word before a given name is not the name
        while len(tokens) > 1 and _english(tokens[-1][2]) and not _listed(tokens[-1][2], lex):
            tokens.pop()  # Anna Schmidt Consulting
        if not tokens or all(low in PARTICLES for _, _, low in tokens):
            continue
        start, end = tokens[0][0], tokens[-1][1]
        if _PLACE_AFTER.match(text, end) and not group.title:
            continue  # Mountain View, Baker Street: the name of a place
        if not group.title:
            cue, group.title = _cue_before(text, start)
            group.cue = max(group.cue, cue)
        if group.cue < 2:
            group.cue = max(group.cue, _cue_after(text, end))
        if (
            group.cue < 2
            and _SPEAKER.match(text, end)
            and (start == 0 or text[start - 1] == "\n")
            and any(low in lex.first or low in lex.last for _, _, low in tokens)
        ):
            group.cue = 2  # a named speaker opening a line of dialogue: Amber: "I'm ..." (not Actual: "...")
        group.score = _judge(group, lex, text, start=_sentence_start(text, start), lower=lower)
        if not lower and group.score < 0.9:
            group.score = max(group.score, _mail_score(text, group, lex, mail=mail))
        if group.score >= 0.8 or lower:
            out.append(_person(text, group))
        elif len(tokens) <= 3:
            weak.append(group)
    if weak and out:
        out.extend(_repeated(text, weak, out))
    pending = [g for g in weak if g.score < 0.8]
    out.extend(_person(text, g) for g in pending if g.score)
    pending = [g for g in pending if not g.score]
    if pending and out:
        out.extend(_coordinated(text, pending, out))
    out.sort(key=lambda span: span.start)
    return out


# -- mail ----------------------------------------------------------------------------------------

_MAIL_AFTER = re.compile(
    r'"?[ \t]*(?:<[^<>\s@]+@[^<>\s]+>|\r?\n<[^<>\s@]+@[^<>\s]+>[ \t]*wrote|\([^()\s@]+@[^()\s]+\))'
    r"|,?[ \t]+(?:wrote|writes|a écrit|schrieb)\b|[ \t]*写道|'s on \w+ \d"
)
"""What follows a name in mail: its address, ``wrote:`` and its translations."""
_TRAILER_BEFORE = re.compile(r"(?:^|\n)[> \t]*(?:[\w-]+-[Bb]y|Cc|CC|From|To):[ \t]*\"?$")
"""A trailer or header label before a name (``Signed-off-by: X``, ``Cc: X``)."""
_LONE_BEFORE = re.compile(r"(?:^|\n)[> \t]*-{0,2}[ \t]*$")
_LONE_AFTER = re.compile(r"[ \t]*\.?[ \t]*(?:\r?\n|$)")
_SIGN_OFF_LINE = re.compile(
    r"(?:thanks|thank you|thx|cheers|regards|best|br|bye|sincerely|yours|ciao)\b[\w ,.!]*\r?\n[> \t\r\n]*$",
    re.IGNORECASE,
)
_GREETING_BEFORE = re.compile(r"(?:^|\n)[> \t]*(?:hi|hello|hey|dear|servus|hallo)[ \t,]+$", re.IGNORECASE)
_SIGN_OFF_BEFORE = re.compile(r"(?:regards|thanks|cheers|bye),?[ \t]+$", re.IGNORECASE)
_GREETING_AFTER = re.compile(r"[ \t]*[,!:\r\n]")


def _mail_evidence(text: str, start: int, end: int) -> bool:
    """A name's address or ``wrote:`` after it, or a trailer label before it on its line."""
    if _MAIL_AFTER.match(text, end):
        return True
    line = text.rfind("\n", 0, start) + 1
    return bool(_TRAILER_BEFORE.search(text, max(line - 1, 0), start))


def _mail_score(text: str, group: _Group, lex: Lexicon, *, mail: bool) -> float:
    """Confidence from the shape of mail around a group, 0 when it says nothing.

    0.9 beside an address, before ``wrote:`` or after a trailer label; 0.85 after a greeting opening
    a line, or alone on a line after a sign-off (or listed and no English word).
    """
    names = [t for t in group.tokens if t[2] not in PARTICLES and len(t[2]) > 1]
    if not names or len(group.tokens) > 4:
        return 0.0
    start, end = group.tokens[0][0], group.tokens[-1][1]
    if any(_not_a_name_shape(text[s:e]) for s, e, _ in names):
        return 0.0
    if mail:
        return 0.9
    if len(names) > 2:
        return 0.0
    if len(names) == 1 and names[0][2] in lex.never_alone:
        return 0.0  # "Hello, Doc:", "Thanks, Team": a word in no list of names is no name alone
    if _GREETING_BEFORE.search(text, max(0, start - 12), start) and _GREETING_AFTER.match(text, end):
        return 0.85
    if not _LONE_AFTER.match(text, end):
        return 0.0
    if _SIGN_OFF_BEFORE.search(text, max(0, start - 12), start):
        return 0.85
    if not _LONE_BEFORE.search(text, max(0, start - 8), start):
        return 0.0
    listed = all(_listed(low, lex, text[s:e]) and low not in lex.common for s, e, low in names)
    return 0.85 if listed or _SIGN_OFF_LINE.search(text, max(0, start - 40), start) else 0.0


def _repeated(text: str, weak: list[_Group], found: list[Span]) -> list[Span]:
    """Groups whose every token is in a full name found with confidence in the same text, at 0.85.

    ``Mike Rapoport <rppt@...>`` makes ``credits to Mike`` a name.
    """
    known = {
        low
        for span in found
        if span.confidence >= 0.8 and " " in text[span.start : span.end]  # full names only
        for low in text[span.start : span.end].lower().split()
        if len(low) > 2 and low not in PARTICLES
    }
    taken = []
    for group in weak:
        lows = [low.rstrip(".") for _, _, low in group.tokens if low not in PARTICLES and len(low) > 1]
        if lows and all(low in known for low in lows):
            group.score = 0.85
            taken.append(_person(text, group))
    return taken


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


_NAME_WORD = r"[A-Z\u00c0-\u00de][\w'’\-]*[^\W\d_]"
_INVERTED = re.compile(
    rf"(?P<last>{_NAME_WORD}(?:[ \t]{_NAME_WORD})?),[ \t]*"
    rf"(?P<first>{_NAME_WORD}(?:[ \t]+[A-Z]\.?(?![\w]))?(?:[ \t]{_NAME_WORD})?)"
    r"(?=[ \t]*(?:;|<|\(|\[|\r?\n|$))"
)
"""``Lastname, Firstname`` as Outlook and Exchange list people, an item of a ``;`` list or a header."""
_HEADER_LINE = re.compile(
    r"^[> \t]*(?:to|cc|bcc|from|sent by|sent to|attendees|required|optional|reviewers?|on behalf of)"
    r"[ \t]*:[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_SIGN_OFF_INITIALS = re.compile(
    r"(?:^|\n)[> \t]*(?i:thanks|thank you|thx|cheers|regards|best regards|best|br|bye|ciao|--)[ \t]*[,!.]?"
    r"[ \t]*(?:\r?\n[> \t]*|[ \t]+)(?P<initials>[A-Z]\.?[A-Z]\.?(?:[A-Z]\.?)?)[ \t]*(?=\r?\n|$)"
)
"""Initials signing a mail (``Thanks,\nJD``, ``Regards, J.D.``)."""


def _inverted_names(text: str, lex: Lexicon) -> list[Span]:
    """``Doe, Jane; Smith, John`` in a To/Cc/From line or a ``;`` list: each name at 0.9.

    An item is taken with a listed given name or surname that is no English word; in a header line
    one such item is enough, elsewhere the list needs two items joined by ``;``. An item of no
    listed word (``Vandervoort, Kees``) is taken beside one that is, in the same list, unless a
    word of it is English, a place or a stop word.
    """
    if ", " not in text and ",\t" not in text:
        return []
    headers = [(m.start(), m.end()) for m in _HEADER_LINE.finditer(text)]
    found = list(_INVERTED.finditer(text))
    # 0: not a name; 1: a name if listed beside a name; 2: a name
    levels: list[int] = []
    joined: list[bool] = []  # joined by ";" to the next item
    for i, m in enumerate(found):
        following = found[i + 1] if i + 1 < len(found) else None
        joined.append(
            following is not None
            and following.start() - m.end() <= 3
            and text[m.end() : following.start()].strip() == ";"
        )
        words = [w.lower() for w in re.findall(r"[^\W\d_][\w'’\-]*", m.group(0)) if len(w) > 1]
        in_header = any(start <= m.start() and m.end() <= end for start, end in headers)
        if not words or any(w in STOP_WORDS for w in words):
            levels.append(0)
        elif not in_header and any(w in lex.common or _english(w) for w in words):
            levels.append(0)  # Paris, France; Austin, Texas: places listed as people are
        elif any(_listed(w, lex) and not _english(w) for w in words):
            levels.append(2 if in_header else 1)
        else:
            levels.append(1 if not any(_english(w) for w in words) else 0)
    out: list[Span] = []
    at = 0
    while at < len(found):  # each run of items joined by ";"
        end = at
        while joined[end]:
            end += 1
        run = range(at, end + 1)
        named = any(levels[i] == 2 for i in run) or (
            len(run) > 1 and any(levels[i] and _any_listed(found[i], lex) for i in run)
        )
        for i in run:
            if levels[i] == 2 or (named and levels[i]):
                for group in ("last", "first"):
                    out.append(Span("person", found[i].start(group), found[i].end(group), 0.9, "names"))
        at = end + 1
    return out


def _any_listed(m: re.Match[str], lex: Lexicon) -> bool:
    return any(
        _listed(w.lower(), lex) and not _english(w.lower()) for w in re.findall(r"[^\W\d_][\w'’\-]*", m[0])
    )


_NOT_INITIALS = _words("ok ps pps fyi tbd tia asap imo imho afaik btw lgtm nb eod eom wip ack nak rfc")
"""Capitals that sign off a mail but name no one."""


def _signed_initials(text: str) -> list[Span]:
    """Initials alone after a sign-off, at 0.85."""
    return [
        Span("person", m.start("initials"), m.end("initials"), 0.85, "names")
        for m in _SIGN_OFF_INITIALS.finditer(text)
        if m["initials"].replace(".", "").lower() not in _NOT_INITIALS | STOP_WORDS
    ]


def detect_names(text: str) -> list[Span]:
    """Spans of person names (kind ``person``, layer ``names``) in ``text``."""
    if not text:
        return []
    lex = lexicon()
    spans = _name_spans(text, lex, lower=text.islower())
    if "," in text:
        spans += _inverted_names(text, lex)
    if "\n" in text or "," in text:
        spans += _signed_initials(text)
    spans.sort(key=lambda span: span.start)
    return spans
