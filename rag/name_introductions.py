"""Whether an abstract's sentence introduces a name as its paper's own.

"We propose X", "termed X", "our model, X, ..." introduce X; "methods such as X", "a recent
technique called X", "Inspired by X (XX), we propose Y" and "our previously released X" only
use it. Also how acronyms are spelled out, in an abstract or in the question.
"""

from __future__ import annotations

import re

from rag.question_type import STOPWORDS
from rag.sentence_scoring import INTRO_VERB, introduces, mentions

# Words that may stand between the verb and the name: "we propose a novel framework, X".
_FILLER = (
    r"(?:a|an|the|our|this|novel|new|simple|efficient|general|unified|first|method|framework|"
    r"system|model|approach|technique|algorithm|benchmark|dataset|suite|library|tool|called|"
    r"named|dubbed|termed)"
)

_KINDS = r"(?:model|method|approach|system|framework|algorithm|optimizer|agent|benchmark|dataset)"
# what the paper's search finds is its own: "our method discovers ..., Lion"
_FOUND_BY = r"(?:method|approach|search|framework|algorithm|pipeline|procedure)"
_FINDS = r"(?:discover|find|yield|produce)s?"


def introduces_name(name: str, sentence: str) -> bool:
    """The sentence introduces `name`: by an introducing verb, or "X for short" / "(X)" / a
    spelled-out "Long Name (LN)" in a sentence that introduces something, unless the name
    stands in an opening clause about earlier work."""
    if not mentions(sentence, name):
        return False
    if introduced(name, sentence):
        return True
    if borrowed(name, sentence):
        return False
    short = rf"(?<![\w-]){re.escape(name)}\s+for short\b|\((?:or\s+)?{re.escape(name)}\)"
    return bool(re.search(short, sentence) or spelled_out(name, sentence)) and introduces(sentence)


# Someone else's method, however the sentence introduces it.
_ESTABLISHED = (
    r"(?:classic|classical|conventional|traditional|standard|well-known|established|vanilla)"
)

# Between an introducing verb and a name after a comma, these make the name something else:
# "we propose X, which outperforms, e.g., GPTQ", "a method built on, say, LLaMA", "we
# introduce the classical elastic weight consolidation (EWC)".
_NOT_OWN = re.compile(
    r"\b(than|over|such as|like|including|e\.g|i\.e|versus|vs|compared|outperform\w*|beyond|"
    r"unlike|based on|built on|from|against|beats?|surpass\w*|extends?|extending)\b|"
    rf"\b{_ESTABLISHED}\b",
    re.IGNORECASE,
)


def introduced(name: str, sentence: str) -> bool:
    """The sentence introduces the name as its paper's own: "we propose X", "we propose a
    best-practice recipe, X", "termed as X", "called A and X", "we term this model as X"."""
    n = rf"{re.escape(name)}(?![\w-])"
    verb = rf"(?i:\b(?:{INTRO_VERB}|referred to))"
    fill = rf"(?i:{_FILLER}|in|this|work|paper|here)\b,?\s+"
    if re.fullmatch(r"\S*[A-Z]\S*[A-Z]\S*", name):  # an identifier: "introduces Huawei CloudMatrix"
        fill += r"|[A-Z][\w-]*\s+"
    fill = f"(?:{fill})"
    for match in re.finditer(rf"{verb}\s+(?i:as\s+)?{fill}{{0,4}}{n}", sentence):
        earlier = _EARLIER.search(sentence[: match.start()])  # "our previously released X"
        if not (earlier or _ANOTHERS.search(sentence[: match.end()])):
            return True
    if re.search(rf"(?i:\bwe\s+(?:also\s+)?train\w*)\s+{n},\s+(?i:an?)\s", sentence):
        return True  # "we train Silkie, an LVLM fine-tuned on ...": the paper's own model
    naming = r"(?i:\b(?:call|name(?!ly)|dub|term|coin|refer to)\w*)"
    if re.search(rf"{naming}\s+[^.;]{{0,60}}?\b(?:and|as)\s+{n}", sentence):
        return True
    if re.search(rf"(?i:\bour (?:\w+ )?{_KINDS}),?\s+(?:called\s+|named\s+)?{n}", sentence):
        return True  # "our model, InternVL2-8B-MPO, achieves ..."
    found = re.search(  # not "our method finds that X, Lion and Y differ": a finding
        rf"(?i:\bour (?:\w+ )?{_FOUND_BY}\s+{_FINDS}\s+(?!that\b))([^.;()]{{1,80}}),\s+{n}",
        sentence,
    )
    if found and not _NOT_OWN.search(found.group(1)):
        return True  # "Our method discovers a simple and effective optimization algorithm, Lion"
    if re.search(rf"(?i:\bour (?:\w+ )?{_KINDS}),\s+(?:[\w-]+\s+){{1,5}}\(\s*{n}\s*\)", sentence):
        return True  # "Our approach, Warm-start RL (WSRL), ...", not "our method improves X (Y)"
    if _defined_after_verb(n, verb, sentence):
        return True
    # the first apposition: "we propose a new simple network architecture, the Transformer"
    apposed = re.search(rf"{verb}\b([^,.;:()]{{1,80}}),\s+(?:the\s+)?{n}", sentence)
    if not apposed or _EARLIER.search(sentence[: apposed.start()]):
        return False  # "a recently released model, TabPFN": someone's earlier work
    return introduces(sentence) and not _NOT_OWN.search(apposed.group(1))


def _defined_after_verb(n: str, verb: str, sentence: str) -> bool:
    """ "we leverage recent progress in generative modeling and propose Synthetic Experience
    Replay (SynthER)": the paper's verb, a few words, and the name's short form, however far
    the verb is from "we" (not "we propose X, which beats Long Baseline (LB)")."""
    for match in re.finditer(rf"{verb}\s+((?:[\w-]+,?\s+){{1,8}})\(\s*{n}\s*\)", sentence):
        before = sentence[: match.start()]
        own = re.search(r"(?i)\b(we|our|this (?:paper|work|study))\b", before)
        if own and not (_NOT_OWN.search(match.group(1)) or _EARLIER.search(before)):
            return True
    return False


# "a recent LLM called LLaMA", "the popular method named X": someone else's, named in passing.
_ANOTHERS = re.compile(
    r"\b(recent|recently|existing|popular|prior|previous|well-known|standard|so-called|"
    r"off-the-shelf|pre-?trained|open-source|widely used|state-of-the-art)\s+(?:[\w-]+\s+){0,4}"
    r"(called|named|dubbed|termed)\s+\S+$",
    re.IGNORECASE,
)


# Before the paper's own verb, these make a name the work it builds on: "Inspired by the
# Consistency Model (CM) and its extension Latent Consistency Model (LCM), we propose X".
_BUILDS_ON = re.compile(
    r"\b(inspired by|motivated by|building (?:up)?on|built (?:up)?on|based on|following|"
    r"extending|unlike|like|such as)\b",
    re.IGNORECASE,
)


def borrowed(name: str, sentence: str) -> bool:
    """The name stands in an opening clause about earlier work, before "we propose", or
    right after "the recently proposed" ("we use the recently proposed ... (muP)")."""
    at = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", sentence)
    before = sentence[: at.start()] if at else ""
    if _EARLIER_NAMED.search(before):
        return True
    return bool(_BUILDS_ON.search(before)) and not introduces(before)


_EARLIER_WORDS = r"\b(?:previously|earlier|formerly|originally|recently)\s+"
_EARLIER = re.compile(rf"{_EARLIER_WORDS}$", re.IGNORECASE)
_EARLIER_NAMED = re.compile(
    rf"{_EARLIER_WORDS}{INTRO_VERB}\s+(?:[\w-]+\s+){{0,4}}\(?$|"  # "the recently proposed muP"
    rf"\b{_ESTABLISHED}\s+(?:[\w-]+\s+){{0,4}}\(?$",  # "the classical elastic ... (EWC)"
    re.IGNORECASE,
)


def capitals(acronym: str) -> str:
    """The capital letters of an acronym: "LoRA" -> "LRA", what its initials must spell."""
    return "".join(c for c in acronym if c.isupper())


def initials(words: list[str], skip: frozenset[str] = frozenset()) -> str:
    """The upper-cased first letters of the words, leaving out those in `skip`."""
    return "".join(w[0] for w in words if w and w.lower() not in skip).upper()


def spells_out(text: str, acronym: str) -> bool:
    """The text writes the acronym out in words: "Neural Ordinary Differential Equations" for
    "ODEs" (content words whose initials are its capitals, in any case)."""
    letters = acronym[:-1] if re.fullmatch(r"[A-Z]{2,}s", acronym) else acronym
    if not re.fullmatch(r"[A-Z]{2,6}", letters):
        return False
    words = r"[\s-]+".join(rf"{c}[a-z]+" for c in letters)
    for match in re.finditer(rf"(?<![\w-]){words}", text, re.IGNORECASE):
        if not STOPWORDS & {w.lower() for w in re.split(r"[\s-]+", match.group(0))}:
            return True
    return False


def defined_in(question: str, acronym: str) -> str:
    """The words the question spells an acronym out with: "Task Preference Optimization"
    for "Task Preference Optimization (TPO)" (their initials are its capitals); else empty."""
    letters = capitals(acronym)
    found = re.search(rf"((?:[\w-]+\s+){{1,8}})\(\s*{re.escape(acronym)}\s*\)", question)
    if len(letters) < 2 or not found:
        return ""
    words = found.group(1).split()
    for start in range(len(words) - 1, -1, -1):
        if initials(words[start:], STOPWORDS) == letters:
            return " ".join(words[start:])
    return ""


def spelled_out(name: str, sentence: str) -> bool:
    """The sentence defines an acronym for the name: "Trajectory Alignment (TA)", "Low-Rank
    Adaptation (LoRA)" (the acronym's capitals are the initials of the name's capitalized
    words); with "we introduce ..." it introduces the name, even second in a list."""
    letters = initials([w for w in re.split(r"[\s-]+", name) if w[:1].isupper()])
    if len(letters) < 2:
        return False
    for match in re.finditer(rf"(?<![\w-]){re.escape(name)}\s*\(([^()\s]+)\)", sentence):
        if capitals(match.group(1)) == letters:
            return True
    return False
