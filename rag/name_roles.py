"""Where a name stands in a question: the thing asked about, or only a setting.

"What accuracy does X reach on CARLA?" is about X, not CARLA; "a generator like MAR", "an
average GLUE score", "DeepMind's predictor" and a name in a context sentence ("Our clusters
have Ethernet. Is there ...?") are not what the question asks about. All rules here read the
question's English only, never the papers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import takewhile

from rag.chunking import split_sentences
from rag.question_type import MEASURE_WORDS, STOPWORDS, VERSION, QuestionInfo, is_measure

# Authors cited (their surnames the groups): "Luo et al.", "Frankle and Carbin's", "Smith and
# Lee (2021)"; not any two capitalized words joined by "and" ("GaLore and FRUGAL")
_ET_AL = r"et\s+al\b\.?"
CITED = rf"\b([A-Z][\w-]+)\s+(?:{_ET_AL}|and\s+([A-Z][\w-]+)(?=['’]s\b|,?\s*\(?(?:19|20)\d\d\b))"


def origin_names(info: QuestionInfo) -> list[str]:
    """Names the question asks about as one paper's own: "the original CLIP" (not a baseline:
    "a speed-up over the original DiT", "compared with the original PEFT method"), "the GloVe
    paper", "Meta's X paper", "the X authors", "the paper that introduced Adam" (or "...
    introduced manifold-constrained gradients (MCG)"), "which paper introduced the X dataset",
    "Luo et al.'s BAdam" (a citation there may be background: "RAG (Lewis et al., 2020)
    pipelines have many knobs"); without a name there ("what did the original paper
    report?"), the question's subjects."""
    found = []
    for name in dict.fromkeys([*info.phrases, *info.names]):
        n = rf"{re.escape(name)}(?![\w-])"
        cue = (
            rf"(?i:(?<!\bover the )(?<!\bthan the )(?<!\bto the )(?<!\bvs\. the )(?<!\bwith the )"
            rf"\boriginal\s+){n}|"
            rf"(?i:\bthe\s+|['’]s\s+){n}(?i:\s+(?:paper|authors)\b)|"
            rf"(?i:\b(?:paper\s+(?:that|which)|(?:which|what)\s+paper)\s+(?:first\s+)?(?:introduced|"
            rf"proposed|presented|described|describes|released|coined)\s+(?:the\s+)?"
            rf"(?:(?:[\w-]+\s+){{1,4}}\()?){n}|"
            rf"{CITED}['’]s\s+{n}"
        )
        if re.search(cue, info.text) and not any(name in other for other in found):
            found.append(name)
    if not found and _ORIGINAL_WORK.search(info.text):  # "... did the original paper report?"
        names = [n for n in dict.fromkeys([*info.phrases, *info.names]) if not is_measure(n)]
        found = [n for n in names if may_be_subject(n, info.text) and not part_of(n, names)]
    return found + [w for w in cited_works(info.text) if not any(n in w for n in found)]


# A work cited by its authors and told in words: "sign SGD with majority vote (Bernstein et
# al., 2018)", "Shen et al.'s minimum risk training paper" (a name there is found above).
_AUTHORS = rf"[A-Z][\w-]+\s+{_ET_AL}"
_CITED_AFTER = re.compile(rf"(?P<work>[^()?.:;!,]{{3,80}}?)\s*\(\s*{_AUTHORS}[^()]{{0,12}}\)")
_CITED_BEFORE = re.compile(rf"{_AUTHORS}['’]s\s+(?P<work>[^()?.:;!,]{{3,80}})")
_NOT_WORK_TEXT = """how what which why when where who does do did is are was were can could
    would should the a an in on of for to from by as at citing using per according its their
    this that original coined introduced proposed named called term creators authors"""
_NOT_WORK = frozenset(_NOT_WORK_TEXT.split())
_WORK_END_TEXT = "paper work study method model optimizer approach algorithm"
_WORK_END = frozenset(_WORK_END_TEXT.split())
CITED_WORK_WORDS = 6  # "sign SGD with majority vote": a work told in a few words


def cited_works(question: str) -> list[str]:
    """Works a question asks about and cites by their authors, in the question's words: the
    words before "(X et al.)" back to one that is not a work's ("How does", "Citing"), or
    after "X et al.'s" up to "paper" or the like. Only in a sentence that asks."""
    works = []
    for sentence in split_sentences(question):
        if not sentence.rstrip().endswith("?"):
            continue  # "RAG (Lewis et al., 2020) pipelines have many knobs." is background
        for match in _CITED_AFTER.finditer(sentence):
            words = match.group("work").split()
            while words and words[-1].lower() in _WORK_END:
                words.pop()
            kept = list(takewhile(lambda w: w.lower() not in _NOT_WORK, reversed(words)))[::-1]
            works.append(kept)
        for match in _CITED_BEFORE.finditer(sentence):
            words = match.group("work").split()
            while words and words[0].lower() in _NOT_WORK:
                words.pop(0)
            kept = list(takewhile(lambda w: w.lower() not in _NOT_WORK | _WORK_END, words))
            works.append(kept)
    found = [" ".join(w.strip("'‘’\"“”") for w in kept) for kept in works]
    return [w for w in dict.fromkeys(found) if 0 < len(w.split()) <= CITED_WORK_WORDS]


# The work a name comes from, without the name: "what did the original paper report",
# "according to the benchmark's creators".
_ORIGINAL_WORK = re.compile(
    r"\b(?:the|its|their) original (?:paper|authors|dataset paper|benchmark paper|publication|"
    r"report)\b|\b(?:the|its) (?:benchmark|dataset|paper|method|model)['’]s (?:creators|authors)\b",
    re.IGNORECASE,
)


HEADING_WORDS = 6  # longer openings before a colon are sentences, not headings


def heading(question: str) -> str:
    """The question's heading, if it opens with one: "Arena-Hard" in "Arena-Hard: how many
    prompts ..., and which model is the judge?", "dream 7b diffusion llm" in "dream 7b
    diffusion llm - which model ...". A name in it is what the question is about."""
    found = re.match(r"\s*([^:?!.;]{1,80}?)\s*(?::|\s[-–—])\s", question)
    return found.group(1) if found and len(found.group(1).split()) <= HEADING_WORDS else ""


def part_of(name: str, names: list[str]) -> bool:
    """ "Fusion" after "FFN Fusion": a word of a name already taken."""
    return any(name != other and name in other.split() for other in names)


def plain_word(name: str) -> bool:
    """ "Chinese", "Fuyou": could be an ordinary capitalized word, so retrieval must agree."""
    return name[:1].isupper() and name[1:].islower() and name.isalpha()


# A name right after one of these is where or with what something was done ("on CARLA",
# "trained on ImageNet", "compared with GPT-4"), not what the question is about.
_SETTING = re.compile(
    r"\b(on|in|for|with|from|to|at|across|over|against|than|using|via|into|onto|by|under|"
    r"within|inside|through|throughout|beyond|along|without|between|among|versus|vs|like|such as|"
    r"e\.g\.,?)\s+(?:the\s+|a\s+|an\s+)?"
    r"(?:[\w.\-]+\s+)?(?-i:(?:[A-Z0-9][\w.\-]*\s+){0,2})$",  # "on WMT 2014 English-to-German"
    re.IGNORECASE,
)
# A name that something is done to is the setting: "shrink DeepSeek-V3 to fit an edge box",
# "stop Post-Norm Transformers from diverging",
# "when quantizing OPT-175B" (what GPTQ reports is still about GPTQ), "alignment of SDXL";
# and a baseline an unnamed method beats ("by how much did it beat PiSSA"; but "does A beat
# B?" compares two names).
_DONE_TO = r"compress|quantiz|quantis|prun|deploy|serv|accelerat|fine-?tun|adapt"
_WORKED_ON = re.compile(
    rf"\b(shrink|{_DONE_TO}|distill?|jailbreak|attack|extend|prevent|stabili[sz])"
    r"(e|es|ed|ing|s)?\s+$|"
    r"\bstop(s|ped|ping)?\s+$|"
    rf"\b(align|{_DONE_TO}|distill)\w*\s+of\s+(?:the\s+)?$|"
    r"\b(it|they|this|these|which|that)\s+(?:\w+\s+)?(beat|beats|outperform\w*|surpass\w*)\s+$|"
    r"\b(we|i)\s+(?:have\s+|'ve\s+|already\s+|also\s+)*(tried|tested|used|ran)\s+$",
    re.IGNORECASE,
)  # also what the user already tried: "we tried LoRA and QLoRA but need ..."
# The work a described paper builds on: "the adaptive-batching extension of DiLoCo", "a
# method that builds on ZeRO". The user asks for the other paper, not this one.
_BUILT_ON = re.compile(
    r"\b(extension|variant|follow-up|successor|generali[sz]ation|modification)s?\s+(of|to)\s+"
    r"(?:the\s+)?$|\b(builds?|built|building|improves?|improving)\s+(on|upon)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# A name before a process noun names the method used: "DP-SGD fine-tuning", "MAE pretraining".
_PROCESS_AFTER = re.compile(
    r"\s+(?:fine-?tuning|(?:pre-?)?training|distillation|quantization|pruning)\b"
    r"(?!\s+(?:run|data|set|cost|time|recipe|steps?|tokens?|corpus)\b)",
    re.IGNORECASE,
)
# "what's in X", "how many questions are in X": X is asked about
_CONTENTS = re.compile(r"^what(?:'s| is| are) in\s+$|\b(?:is|are|was|were) in\s+$", re.I)
# names listed before the name: "on AIME 2024 and " is "on " for the name that follows
_COORDINATED = re.compile(
    r"(?:[A-Z0-9][\w.\-/]*,?\s+){1,6}(?:and|or|&)\s+$|(?:[A-Z0-9][\w.\-/]*,?\s+){0,5}"
    r"[A-Z0-9][\w.\-/]*,\s+$"
)
# "What data were used for StarCoder?", "I'm citing Tuddenham et al. for X": asks about X
_SOURCE = re.compile(
    r"\b(according to|reported (by|in)|in the|(used|needed|required|spent|chosen) for)\s+"
    r"(?:the\s+)?\S*\s*$|\bcit(e|es|ed|ing)\b[^?!]{0,60}\bfor\s+$",
    re.I,
)
_DETERMINER = re.compile(
    r"\b(the|a|an|this|that|its|their|our|my)\s+(?:[\w.\-]+\s+)?$|\b(what|which)\s+$",
    re.IGNORECASE,
)  # "What RoPE base frequency did Code Llama use?" asks about Code Llama; "our PPO planner"
# After "the X", these words keep X the thing asked about ("the X paper", "did the X report").
_HEAD_TEXT = """paper papers study model models method optimizer algorithm architecture suite family
    network corpus simulator environment toolkit platform engine competition challenge
    authors team framework approach technique benchmark dataset library system report reports
    reach reaches achieve achieves use uses need needs get gets train trains learn learns
    perform performs require requires take takes handle handles work works score scores"""
_HEADS = frozenset(_HEAD_TEXT.split())
_FUNCTION_WORDS = STOPWORDS - _HEADS  # where a name's noun phrase ends
HEAD_WINDOW = 4  # words after a name in which its head noun may stand
# ... and right after it, these make X the sentence's subject: "The Pile is a corpus."
_COPULAS = frozenset(["is", "are", "was", "were", "has", "have"])
# "For X, what ...", "In X, how ...": a sentence that opens with its topic is about it
_FRONTED = re.compile(r"(?:^|[.?!]\s+)(?:for|in|with|about|regarding|as for)\s+(?:the\s+)?$", re.I)
# "AudioLDM 2,", "HAT (hardware-aware transformers),", "the X video dataset (v2),"
_TOPIC_END = re.compile(r"(?:\s+[\w.-]+){0,2}?(?:\s*\([^()]{1,80}\))?\s*,")
# "What is the unified loss in UniFace?", "What is T-GRPO in Video-R1?": a part of X is asked
# about, so X is the subject; not "the role of attention in X" or "the best model in X"
_PART_IN = re.compile(
    r"(?:^|[.?!]\s+)what(?:\s+exactly)?(?:'s|\s+is|\s+are)\s+(?:exactly\s+)?(?:the\s+|an?\s+)?"
    r"(?:(?!(?:of|for|on|with|to|best|top|[\w-]+est)\b)[\w-]+\s+){1,4}in\s+$",
    re.IGNORECASE,
)
# words of a question that point back at a context sentence's names: "How does each work?"
_BACK_REFERENCE = re.compile(
    r"\b(each|both|they|them|their|its|these|those|either|neither)\b|"
    r"\b(that|this) (method|model|paper|dataset|benchmark|approach|technique|algorithm|"
    r"optimizer)\b|"
    r"\b(?<!is )it\b(?!'s| is\b)",  # not "is it possible", "it is known"
    re.IGNORECASE,
)
# After "X's", these keep X the thing asked about: "LlamaGen's largest model", "X's dataset".
_POSSESSED = frozenset(
    ["model", "models", "method", "dataset", "benchmark", "architecture", "paper", "training"]
)


# "Transformer-based", "Adam-style": a modifier made from a name; "StreamingLLM-" (in
# "StreamingLLM- or H2O-style") shares the next word's ending.
_MODIFIER_END = re.compile(
    r"(?<=\w)-(?:based|like|style|free|driven|aware|guided|specific|only|level|wise|powered|"
    r"inspired|centric|agnostic|enhanced|augmented|conditioned|assisted|)$",
    re.IGNORECASE,
)


def _mentions_of(name: str, question: str) -> Iterator[re.Match[str]]:
    """Where the question writes the name as a whole word ("GaLore", not "GaLore-2")."""
    return re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", question)


def built_on(name: str, question: str) -> bool:
    """Every mention of `name` is as the work a described paper builds on."""
    starts = [m.start() for m in _mentions_of(name, question)]
    return bool(starts) and all(_BUILT_ON.search(question[:start]) for start in starts)


def may_be_subject(name: str, question: str) -> bool:
    """A name the question may be about: a proper name (capital first, 3+ characters) that
    does not just qualify something else ("DeepMind's predictor", "the CPU alignment step")
    or say where something was done ("reaches 64 on CARLA")."""
    if _MODIFIER_END.search(name):
        return False  # "the Transformer-based TTS model": a kind of model, not one named
    written_so = name[0].isupper() or re.match(
        r"[a-z][a-z-]*\d|[a-z]+[A-Z]|\d+[A-Z]*-[A-Z]{3,}\b|\d+[A-Z]+\s+[A-Z]", name
    )
    if len(name) < 3 or not written_so:  # "gpt-4", "nuScenes", "3D-FRONT", "3D Common
        # Corruptions"; not "1B-parameter"
        return False
    asked = _asking_spans(question)
    for match in _mentions_of(name, question):
        after = question[match.end() :]
        if asked and not any(a <= match.start() < b for a, b in asked):
            continue  # "Our clusters only have Ethernet. Is there a framework for that?"
        if re.match(r"['’]s\b", after):  # "DeepMind's predictor"; but "X's largest model"
            owned = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", after[2:50])[:3]]
            if _POSSESSED & set(owned) or any(is_measure(w) for w in owned):
                return True
            continue
        before = question[: match.start()]
        if _aside(before, after, name):
            continue  # "that framework for microcontrollers (under 256KB of SRAM)"
        if _FRONTED.search(before) and _TOPIC_END.match(after):
            return True  # "For HAT (hardware-aware transformers), what speedup ...?"
        if _PART_IN.search(before):
            return True
        if _PROCESS_AFTER.match(after):
            continue  # "DP-SGD fine-tuning of language models": the method used, not asked
        listed = _COORDINATED.sub("", before)  # "on AIME 2024 and MMMU": MMMU is on-ed too
        setting = any(r.search(t) for r in (_SETTING, _WORKED_ON) for t in (before, listed))
        if setting and not (_SOURCE.search(before) or _CONTENTS.search(before)):
            continue
        # a name that qualifies a measure is the benchmark or unit: "GLUE score", "CPU time";
        # after "did" the word is a verb: "did OpenAI o1 score"
        auxiliary = re.search(r"\b(do|does|did|can|could|will|would)\s+$", before, re.I)
        if re.match(rf"\s+(?:{MEASURE_WORDS}|time)\b", after, re.IGNORECASE) and not auxiliary:
            continue
        # the head noun may follow modifiers: "the Flamingo vision-language model", "the GQA
        # visual question answering benchmark" (not "the X results on the Y benchmark")
        # ... past the name's own expansion: "the Coconut (Chain of Continuous Thought) paper"
        head_side = re.sub(r"^\s*\([^()]{1,80}\)", "", after, count=1)
        following = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", head_side[:60])[:HEAD_WINDOW]]
        phrase = list(takewhile(lambda w: w not in _FUNCTION_WORDS, following))
        qualifies = _DETERMINER.search(before) or _DETERMINER.search(listed)
        if qualifies and following and not (_HEADS & set(phrase) or following[0] in _COPULAS):
            continue
        return True
    return False


def only_aside(name: str, question: str) -> bool:
    """Every mention of the name is in a parenthetical remark ("... (to cut down on runs,
    partly for CO2 reasons)"): it says why the question is asked, not which paper it is about.
    A parenthesis holding a question is a follow-up's thread ("(follow-up to: What is X?)")."""
    found = list(_mentions_of(name, question))
    return bool(found) and all(
        _aside(question[: m.start()], question[m.end() :], name)
        and "?" not in question[question.rfind("(", 0, m.start()) : question.find(")", m.end())]
        for m in found
    )


def _aside(before: str, after: str, name: str) -> bool:
    """The name stands in a parenthetical with other words: a remark on the question, not
    its subject; a parenthesis holding only the name ("... Transformers (HAT)") names it."""
    opened = before.rfind("(")
    closed = after.find(")")
    if opened < 0 or ")" in before[opened:] or closed < 0 or "(" in after[:closed]:
        return False
    return f"{before[opened + 1 :]}{name}{after[:closed]}".strip() != name


def spellings(name: str, question: str = "") -> list[str]:
    """Other ways a collection may write a name typed this way: "Light-Gen" as "LightGen",
    "MovieGen" as "Movie Gen", a version as its base name (`variant_base`), and with the
    number the question writes after it ("AudioLDM 2" as "AudioLDM2" or "AudioLDM-2")."""
    out = []
    number = re.search(rf"(?<![\w-]){re.escape(name)}\s+({VERSION})(?![\w.-])", question)
    if number:  # "Dream 7b" as "Dream-7B"
        out += [f"{name}{number.group(1)}", f"{name}-{number.group(1)}"]
    parts = name.split("-")
    if len(parts) == 2 and all(p[:1].isupper() and p.isalpha() for p in parts):
        out.append("".join(parts))
    camel = re.findall(r"[A-Z][a-z]+", name)
    if " " not in name and len(camel) >= 2 and "".join(camel) == name:
        out.append(" ".join(camel))
    return [*out, base] if (base := variant_base(name)) else out


def is_unit(name: str) -> bool:
    """A measure written with its resource: "GPU-days", "TPU-months"."""
    return "-" in name and is_measure(name.rsplit("-", 1)[1])


def variant_base(name: str) -> str:
    """The name a variant is of ("ConvMAE-Base": "ConvMAE"), when that is itself written
    like a name (two capitals or a capital inside), or typed in lower case before a version
    with a "v" ("redpajama-v2": "redpajama"; not "carbon-13"); else empty."""
    base = "" if " " in name else name
    while "-" in base:
        base, part = base.rsplit("-", 1)
        if re.fullmatch(r"v\d+(?:\.\d+)?", part) and re.fullmatch(r"[a-z]{4,}", base):
            return base
        if part.islower():  # "ZeRO-Infinity-style", "BERT-based": like it, not a version
            return ""
        if is_measure(part) or is_measure(part + "s"):  # "AMD-GPU": an AMD GPU, not AMD
            return ""
        if re.search(r"[A-Z].*[A-Z]|[a-z][A-Z]", base) and len(base) >= 3:
            return base
    return ""


def in_context_only(name: str, question: str) -> bool:
    """Every mention of the name stands in a sentence that only sets the scene ("... the
    exascale machine at Oak Ridge in mind. For the scheme built for that system, what ...?")."""
    asked = _asking_spans(question)
    starts = [m.start() for m in _mentions_of(name, question)]
    return bool(asked and starts) and not any(a <= i < b for i in starts for a, b in asked)


def _asking_spans(question: str) -> list[tuple[int, int]]:
    """The sentences that ask, when the others are context: a context sentence's names are
    a setting, unless the question points back at them ("X and Y both target Z. How does
    each one get there?"). Empty when every sentence asks, or none does."""
    spans = _sentence_spans(question)
    asked = [(a, b) for a, b, asks in spans if asks]
    refers = any(_BACK_REFERENCE.search(question[a:b]) for a, b in asked)
    return [] if not asked or len(asked) == len(spans) or refers else asked


def _sentence_spans(question: str) -> list[tuple[int, int, bool]]:
    """Where the question's sentences are, and whether each asks (ends with "?")."""
    spans, cursor = [], 0
    for sentence in split_sentences(question):
        start = question.find(sentence, cursor)
        cursor = start + len(sentence)
        spans.append((start, cursor, sentence.rstrip().endswith("?")))
    return spans
