"""Which papers a question asks for: one paper's statement, an unnamed paper it describes,
a given number of papers, or every paper on a topic.

The extractive answer lists one group per paper for a survey ("what methods scale X?") and
as many groups as a question counts ("compare X with Y"). Like `rag.question_type`, the rules
are about English question forms, never about papers.
"""

from __future__ import annotations

import re

# "List papers on X", "Give me some work about Y", "Find studies that ...": asked for papers.
_ASK_FOR = (
    r"(please )?(list|give me|show me|find( me)?|recommend|suggest|point me to|search for)\b"
    r"( \w+){0,3} (papers|works|studies|articles|methods|approaches|research|work|literature)\b"
)
_ARE_THERE = r"(^|[.?!;:]\s*)are there\b"  # opening a question, not "how many X are there"
WHICH = re.compile(
    r"\b(which|what|any|some) (\w+ )?(paper|papers|work|works|method|methods|study|studies|"
    r"approach|approaches|system|systems|model|models|tool|tools|framework|frameworks)\b|"
    rf"\bis there (a|an|any|anything|something|work|research)\b|{_ARE_THERE}|"
    r"\bdoes any\b|^" + _ASK_FOR,
    re.IGNORECASE,
)

# A paper described, not named: "I read about a scheme that ...", "I read that the answer is
# fixed halfway ...", "One system trained ...", "the write-up about making X run faster", "Two
# papers on X both ...": the names in the question are its setting.
_WORK = (
    r"(paper|work|study|method|approach|system|scheme|technique|framework|trick|recipe|setup|"
    r"write-?up|report|article|project)"
)
_DESCRIBED = re.compile(
    r"\b(i|we)( have|'ve)? (read|saw|seen|remember|recall|came across|heard)( about| of)? "
    r"(a|an|one|some)\b|\b(i|we)( have|'ve)? (read|saw|seen|heard)( somewhere)? that\b|"
    rf"\bthere( was| is|'s|’s) (a|an|one) (\w+ )?{_WORK}\b|"
    rf"(^|[.?!;:,] )one ([\w-]+ ){{0,2}}{_WORK}\b|\b{_WORK} (about|on) \w+ing\b|"
    rf"\b(two|three|several|both) (\w+ )?{_WORK}s (on|about|that)\b",
    re.IGNORECASE,
)

# A number of papers the question asks for: "three papers try to explain ...", "both
# methods", "compare X with Y".
_COUNTS = {"two": 2, "both": 2, "three": 3, "four": 4}
_COUNTED = re.compile(  # not one paper's parts: "its two pruning methods"
    rf"(?<!\bits )(?<!\btheir )\b({'|'.join(_COUNTS)})\b(?: [\w-]+){{0,3}}? (?:papers|works|"
    r"studies|methods|approaches|ways|systems|frameworks)\b|^compare\b",
    re.IGNORECASE,
)

# Two things joined by "and", then each of them: "What do the X paper and the Y study each
# recommend?", "A and B both ...", "How do A and B differ", "What do A and B have in common?"
# (not "each of", "each layer").
WH = r"(?:what|how|which|why|where|when|who)\b"  # the words that ask
_EACH = re.compile(
    rf"\band\s+(?!{WH}|(?:does|do|did|is|are)\b)"
    r"(?P<second>[^?.;:,]{1,80}?)\s+(?:each|both|differ|have\s+in\s+common)\b"
    r"(?! (?:of|one|other|layer|step|token|head|task|model|paper|method)\b)",
    re.IGNORECASE,
)
_ASKS = re.compile(rf"\b{WH}", re.IGNORECASE)
_CLAUSE_START = re.compile(  # the last clause's start: "For LLMs, how do X and Y differ?"
    rf"(?:^|[?.;:]\s+|,\s+(?={WH}))(?!.*(?:[?.;:]\s|,\s+{WH}))",
    re.DOTALL | re.IGNORECASE,
)


# Examples a question gives of its topic: a parenthesis, "e.g. ...", "such as ...".
_EXAMPLES = re.compile(
    r"\([^)]*\)|\b(e\.g\.|for example|for instance|such as|including)[^?.;:]*", re.IGNORECASE
)

# The user wants the papers on a topic, not one paper's statement: a plural "which/what
# methods ...", the mass nouns "what work/research ...", "what has been done/studied",
# "what is known about", "are there", "how are/have X been ...", "how do people/current
# methods ...", "has X been applied to ...", "papers on X", "X papers?", "X: methods for
# ...", "what does the collection have on X", "what's in here".
_KINDS_OF_WORK = (
    r"papers|works|methods|studies|approaches|systems|models|tools|frameworks|techniques|"
    r"algorithms|datasets|benchmarks|resources|architectures|solutions|strategies|efforts"
)
_MASS_WORK = r"\bwhat ([\w\-]+ ){0,3}(work|research)\b"  # "what work ...", "what recent research"
_PAPERS_ON = r"^(any |some )?(papers|work|research|studies) (on|about|for|in)\b"
_SURVEY = re.compile(
    rf"\b(which|what) ([\w\-]+ ){{0,3}}({_KINDS_OF_WORK})\b|^{_ASK_FOR}|{_MASS_WORK}|"
    r"\bwhat( has|'s|’s) been (done|studied|proposed|shown|explored|tried)\b|"
    r"\bwhat is known about\b|"
    rf"{_ARE_THERE}|^how (are|have|were|is|has) \S+( \S+){{0,6}} (been|being)\b|"
    r"^how (do|did|are|have) (people|researchers|current|recent|existing|state-of-the-art|"
    r"methods|approaches)\b|^(has|have) [^?]{1,80} been (applied|used)\b|"
    rf"{_PAPERS_ON}|\b(papers|works|studies)\W*$|"
    r"^[^:?]{3,80}: (methods|approaches|techniques)\b|"
    r"\bwhat does (this|the) (collection|corpus) (have|hold|contain)\b|"
    r"\bwhat('s|’s| is) in (here|there|this collection|the collection)\b",
    re.IGNORECASE,
)


# "Who wrote the paper on sparse routing?", "In which journal did the sea turtle study appear?"
_ONE_DESCRIBED = re.compile(
    r"\bthe (?:[\w-]+ ){0,5}(?:paper|study|article|preprint|survey|review|work)\b(?! by\b)",
    re.IGNORECASE,
)


def describes_a_paper(question: str) -> bool:
    """The question points at one paper by what it is about, not by name or [n]."""
    return bool(_ONE_DESCRIBED.search(question))


def asks_for_papers(question: str) -> bool:
    """ "Which papers ...", "is there a method ...", "I read about a scheme that ...": the
    user wants papers (or one unnamed paper), not one paper's statement about a named thing."""
    return bool(WHICH.search(question) or _DESCRIBED.search(question))


def only_as_example(question: str, name: str) -> bool:
    """A name the question gives only as an example of its topic ("methods that animate faces,
    such as talking portraits or identity-preserving videos"), not as its subject."""
    examples = " ".join(m.group(0) for m in _EXAMPLES.finditer(question))
    rest = _EXAMPLES.sub(" ", question)
    return name.lower() in examples.lower() and name.lower() not in rest.lower()


def papers_asked(question: str) -> int:
    """How many papers the question says it wants: "three papers ...", "two ways of ...",
    "compare X with Y" (two); 0 when it does not say."""
    found = _COUNTED.search(question)
    if not found:
        return len(compared(question))
    return _COUNTS.get((found.group(1) or "").lower(), 2)


# "Has anyone made X work?", "Did anybody try Y?": whether a field has work, like "are there".
_ANYONE = re.compile(r"^(has|have|did|does) (anyone|anybody|someone|people)\b", re.IGNORECASE)


def asks_for_field(question: str) -> bool:
    """A survey, or whether anyone has done something: the question names a field, so a small
    share of words no abstract writes already makes it another field (the unheard-words
    refusal), while the answer may still be one paper."""
    return wants_survey(question) or bool(_ANYONE.search(question))


def compared(question: str) -> tuple[str, ...]:
    """The things a question asks about each of ("What do the Megatron-LM paper and the
    ablation study on parallel layouts each recommend?", "What do A, B and C each propose?"):
    the words before "and" in its clause, split at commas, and those after it; empty when it
    does not ask so."""
    found = _EACH.search(question)
    if not found:
        return ()
    second = found.group("second")
    if _ASKS.search(second) or (" " not in second and second.islower()):
        return ()  # "and tell me how each ...", "and kept each line": a clause, not a thing
    before = question[: found.start()]
    start = _CLAUSE_START.search(before)
    first = before[start.end() if start else 0 :]
    listed = [part.strip() for part in first.split(",") if part.strip()]
    return (*listed, second) if listed else ()


# Papers a question describes one by one instead of naming them: "one converts X, the other
# trains Y", "the one on X, and the one asking Y", "(a) X, (b) Y and (c) Z". A description ends
# where the question asks its own thing: "?", ";", " - ", ", what ...".
_DESCRIPTION_STOPS = rf"\s*(?:[?.;:]|\s[-—–]\s|,\s*(?:and\s+)?{WH})"
_DESCRIPTION_END = rf"(?={_DESCRIPTION_STOPS}|\s*$)"
_ONE_AND_OTHER = re.compile(
    r"(?:^|[:;,—–-]\s*|\b(?:and|while|whereas)\s+)one\b(?![-\w]| of\b)(?P<first>[^;?]{8,200}?)"
    r"(?:,|;|\s[-—–])\s*(?:and\s+|while\s+|whereas\s+)?(?:the\s+other|another)\b"
    rf"(?P<second>[^;?]{{4,200}}?){_DESCRIPTION_END}",
    re.IGNORECASE,
)
_THE_ONE_AND_THE_OTHER = re.compile(
    r"\bthe one (?P<first>(?:on|about|that|which|asking|using|with|for|from|where)\b[^;?]{4,200}?)"
    r",?\s*(?:and|or|vs\.?|versus)\s+the (?:one|other)\b"
    rf"(?P<second>[^;?]{{4,200}}?){_DESCRIPTION_END}",
    re.IGNORECASE,
)
# "one paper using X, one that schedules Y, and one that pre-trains Z"; in a list, "one uses
# X, one is built on Y, and one gives Z"
_ONE_THAT = re.compile(
    r"\bone (?:(?:paper|study|work|method|system|model|approach) )?"
    r"(?=(?:that|which|using|with|on|about|for|where|from|in)\b)|"
    r"(?:(?<=[,:;] )|(?<=\band ))one (?=(?:is|was|[a-z]+[^s\W]s)\b)",
    re.IGNORECASE,
)
_DESCRIPTION_STOP = re.compile(_DESCRIPTION_STOPS, re.IGNORECASE)
_NEXT_ONE = re.compile(r",?\s*(?:(?:and|or)\s+)?$", re.IGNORECASE)
# "compare the hierarchical actor-critic framework with the method that turns RLHF into ..."
_COMPARE_WITH = re.compile(
    r"(?:^|[:;.?]\s+|\s[-—–]\s)compare (?!(?:how|what|which|why|whether|two|three|both)\b)"
    r"(?P<first>[^;?:]{4,200}?)\s+(?:with|against|versus|vs\.?)\s+"
    rf"(?P<second>[^;?]{{4,200}}?){_DESCRIPTION_END}",
    re.IGNORECASE,
)
# "Two industrial video-generation reports: a cast of media models ..., and a model family ..."
_COUNTED_LIST = re.compile(
    r"\b(?:two|three|both)\b[^:?;]{0,80}:\s*(?:a|an|one)\s+(?P<first>[^;?]{4,200}?),\s+"
    r"(?:and\s+)?(?:a|an|another|the other)\s+"
    rf"(?P<second>[^;?]{{4,200}}?){_DESCRIPTION_END}",
    re.IGNORECASE,
)
# "symdpo vs s-vco: how does each one ...": two things set against each other, and the
# question asks about each ("Lion vs Adam: how much compute does Lion save?" asks about one)
_VERSUS = re.compile(
    r"(?:^|(?<!\be\.g)(?<!\bi\.e)[.;?]\s+)(?P<first>[^:?.;,()]{2,80}?)\s+(?:vs\.?|versus)\s+"
    r"(?P<second>[^:?.;,()]{2,80}?)(?=\s*[:?]|\s+[-—–]\s|\s*$)",
    re.IGNORECASE,
)
_EACH_SIDE = re.compile(r"\b(?:each|both|which one|which of|the other)\b", re.IGNORECASE)
_LETTERED = re.compile(
    r"\(([a-e])\)\s*(?P<side>[^()]{4,200}?)\s*(?=,?\s*(?:and\s+|or\s+)?\([a-e]\)|[?.;:]|$)",
    re.IGNORECASE,
)

# "the vision paper ..., the language paper ...": two papers told apart by what they are about
_THE_KIND_OF_PAPER = re.compile(
    rf"\bthe (?P<about>(?:[\w-]+ ){{0,3}}?[\w-]+) (?:paper|study|work|method|system)\b(?! {WH})",
    re.IGNORECASE,
)
_NOT_ABOUT_TEXT = """original same first second third former latter other whole entire above
    following earlier later new older newer this that one two both each"""
_NOT_ABOUT = frozenset(_NOT_ABOUT_TEXT.split())


def described(question: str) -> tuple[str, ...]:
    """The papers a question describes one by one ("two papers: one reweights timestep losses,
    the other looks at the SNR distribution", "(a) 3D edge maps and (b) tourist photos"): each
    description, in order; empty when it does not."""
    for pattern in (_ONE_AND_OTHER, _THE_ONE_AND_THE_OTHER, _COUNTED_LIST, _COMPARE_WITH):
        if found := pattern.search(question):
            return (found.group("first").strip(" ,"), found.group("second").strip(" ,"))
    if len(ones := _one_that(question)) > 1:
        return ones
    if (found := _VERSUS.search(question)) and _EACH_SIDE.search(question[found.end() :]):
        return (found.group("first").strip(), found.group("second").strip())
    lettered = tuple(found.group("side").strip(" ,") for found in _LETTERED.finditer(question))
    if len(lettered) > 1:
        return lettered
    kinds = {
        found.group("about").lower(): found.group("about")
        for found in _THE_KIND_OF_PAPER.finditer(question)
        if not set(found.group("about").lower().split()) <= _NOT_ABOUT
    }
    return tuple(kinds.values()) if len(kinds) > 1 else ()


# "Which papers ...", "what work ...", "what does the collection have on ...": the papers
# themselves are asked for, so a name the question gives is their topic, not one paper to
# quote ("Which papers scale 3D Gaussian Splatting to cities?" although one title holds it).
_PAPERS_WANTED = re.compile(
    r"\b(which|what) ([\w\-]+ ){0,3}(papers|works|studies|articles)\b|"
    rf"{_MASS_WORK}|\b(this|the) (collection|corpus)\b|{_PAPERS_ON}",
    re.IGNORECASE,
)


def _one_that(question: str) -> tuple[str, ...]:
    """ "one using X, one that schedules Y, and one that Z": the text after each "one", up to
    the next one or, for the last, the end of its description; empty for a lone "one"."""
    starts = list(_ONE_THAT.finditer(question))
    if len(starts) < 2:
        return ()
    ends = [after.start() for after in starts[1:]]
    last = question[starts[-1].end() :]
    ends.append(starts[-1].end() + len(_DESCRIPTION_STOP.split(last, maxsplit=1)[0]))
    parts = [
        _NEXT_ONE.sub("", question[f.end() : end]).strip(" ,")
        for f, end in zip(starts, ends, strict=True)
    ]
    return tuple(p for p in parts if p)


def wants_papers(question: str) -> bool:
    """A survey that asks for the papers themselves, not for one thing's methods or parts
    ("LiGNN sped up by how much, and which techniques made that possible?")."""
    return wants_survey(question) and bool(_PAPERS_WANTED.search(question))


def wants_survey(question: str) -> bool:
    """ "What methods scale X?", "What work is there on Y?": the answer should name each paper
    that addresses it, one group per paper, not dwell on the best one."""
    return bool(_SURVEY.search(question))
