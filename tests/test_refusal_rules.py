"""Refusals for weak evidence, on a real engine over a small corpus (tests/support)."""

from __future__ import annotations

from tests.support.small_corpus import engine_over

ROWS = [
    {
        "title": "Heat Pumps in Winter: Efficiency in Cold Climates",
        "abstract": "We measure heat pump efficiency in cold climates across 40 homes. "
        "Efficiency falls by a third below minus ten degrees.",
    },
    {
        "title": "Ranking News Timelines",
        "abstract": "We build a timeline ranker for trending news. It runs in Baidu search "
        "and serves millions of queries a day.",
    },
]


def _settings_over(tmp_path, **update):
    """The small corpus's settings, with the thresholds a test sets to isolate one rule."""
    return engine_over(tmp_path, ROWS).settings.model_copy(update=update)


def test_a_question_no_retrieved_sentence_comes_close_to_is_refused(tmp_path):
    """Only the sentence rule acts here (the chunk threshold is off): a question on another
    subject is refused, one that a sentence states is answered, and one that names what a
    paper writes ("Baidu") is answered even under an unreachable sentence threshold."""
    from rag.engine import Engine

    settings = _settings_over(tmp_path, refusal_threshold=0.0, sentence_refusal_threshold=0.5)
    sentences = Engine(settings)
    assert sentences.ask("Which transformer predicts soccer match outcomes from tracking?").refused
    answered = sentences.ask("How efficient are heat pumps in cold climates?")
    assert not answered.refused and answered.sources[0].title.startswith("Heat Pumps")
    strict = Engine(settings.model_copy(update={"sentence_refusal_threshold": 0.99}))
    assert strict.ask("How do heat pumps fare in the cold?").refused, "no name: refused"
    assert not strict.ask("Which papers involve Baidu's products?").refused, "a written name"


def test_a_question_that_names_a_retrieved_title_is_not_refused(tmp_path):
    """ "what is zyx": a short title name the name rules leave to retrieval (the abstract
    never writes it), yet the question names the retrieved paper."""
    from rag.engine import Engine

    zyx = "We present a sorting network that orders a million keys in a second on one core."
    rows = [*ROWS, {"title": "Zyx: Fast Sorting", "abstract": zyx}]
    engine = engine_over(tmp_path, rows)
    update = {"refusal_threshold": 0.0, "sentence_refusal_threshold": 0.99}
    strict = Engine(engine.settings.model_copy(update=update))
    answer = strict.ask("what is zyx")
    assert not answer.refused and answer.sources[0].title.startswith("Zyx")


def test_a_question_mostly_in_words_no_abstract_has_is_refused(tmp_path):
    """ "grading diabetic retinopathy from fundus photographs": most of the question's term
    weight is in words no abstract contains, and no sentence comes close, so the collection
    lacks the field; with the rule off (a share no question reaches) it would be answered.
    A question whose words the abstracts hold is answered under the same rule."""
    from rag.engine import Engine

    settings = _settings_over(tmp_path, refusal_threshold=0.0, sentence_refusal_threshold=0.0)
    question = "How accurate is grading diabetic retinopathy from fundus photographs?"
    assert not Engine(settings).ask(question).refused, "two papers have not seen a field"
    large = settings.model_copy(update={"unheard_min_papers": 2})  # as if they had
    assert Engine(large).ask(question).refused
    off = Engine(large.model_copy(update={"unheard_share": 1.01}))
    assert not off.ask(question).refused
    answered = Engine(large).ask("How efficient are heat pumps in cold climates?")
    assert not answered.refused and answered.sources[0].title.startswith("Heat Pumps")


def test_only_a_name_few_papers_write_anchors_a_question(tmp_path):
    """Under an unreachable sentence threshold, a name one paper writes keeps a question
    answered, but a name eleven papers write (a common method) does not; a question about
    "the original X" that papers only mention gets the notice that shows the mentions."""
    from rag.engine import Engine

    lora = [
        {
            "title": f"Adapters Study {k}",
            "abstract": f"We fine-tune with LoRA adapters on task {k}.",
        }
        for k in range(11)
    ]
    strict = {"refusal_threshold": 0.0, "sentence_refusal_threshold": 0.99}
    question = "Which papers use LoRA adapters to detect railway track defects?"
    (tmp_path / "few").mkdir()
    (tmp_path / "many").mkdir()
    few = engine_over(tmp_path / "few", [*ROWS, lora[0]])
    assert not Engine(few.settings.model_copy(update=strict)).ask(question).refused
    many = Engine(engine_over(tmp_path / "many", [*ROWS, *lora]).settings.model_copy(update=strict))
    assert many.ask(question).refused
    origin = many.ask("How many layers did the original LoRA paper use?")
    assert origin.refused and origin.text.startswith("No paper in this collection is about LoRA")


def test_a_survey_of_a_field_the_abstracts_never_write_is_refused(tmp_path):
    """A survey asks for a field: a smaller share of words no abstract writes than a look-up
    needs is enough to refuse it ("deep survival models for censored data"); the same words
    in a look-up, or the survey with its own share out of reach, are answered."""
    from rag.engine import Engine

    settings = _settings_over(
        tmp_path,
        refusal_threshold=0.0,
        sentence_refusal_threshold=0.0,
        unheard_sentence_threshold=0.99,
        unheard_min_papers=2,
        unheard_share=1.01,
        unheard_survey_share=0.2,
    )
    survey = "Which papers measure heat pump efficiency in snowbound homes?"
    assert Engine(settings).ask(survey).refused
    assert not Engine(settings).ask("How efficient are heat pumps in snowbound homes?").refused
    off = settings.model_copy(update={"unheard_survey_share": 1.01})
    assert not Engine(off).ask(survey).refused
    # "has anyone ..." asks whether the field has work, as a survey does
    assert (
        Engine(settings).ask("Has anyone measured heat pump efficiency in snowbound homes?").refused
    )


def test_a_question_quoting_a_title_no_retrieved_paper_has_is_refused(tmp_path):
    """ "in 'Heat Pumps for Arctic Homes'": the paper is not here, however close its
    neighbours; the title the collection has, quoted, is answered, and so is a quoted
    phrase that is not a title."""
    from rag.engine import Engine

    settings = _settings_over(tmp_path, refusal_threshold=0.0, sentence_refusal_threshold=0.0)
    engine = Engine(settings)
    assert engine.ask("How much efficiency is lost in 'Heat Pumps for Arctic Homes'?").refused
    held = engine.ask("How much efficiency is lost in 'Heat Pumps in Winter'?")
    assert not held.refused and held.sources[0].title.startswith("Heat Pumps")
    assert not engine.ask("Which paper says 'efficiency falls by a third'?").refused


def test_a_heading_word_no_abstract_writes_is_unknown(tmp_path):
    """ "snowbound homes: ..." opens on a subject the abstracts never write, as a name no
    abstract contains would; the same word further in, or a heading the abstracts write,
    is not unknown."""
    from rag.engine import Engine

    settings = _settings_over(
        tmp_path, refusal_threshold=0.0, sentence_refusal_threshold=0.0, unknown_term_threshold=0.99
    )
    engine = Engine(settings)
    assert engine.ask("snowbound homes: how efficient are heat pumps there?").refused
    assert not engine.ask("How efficient are heat pumps in snowbound homes?").refused
    assert not engine.ask("heat pumps: how efficient are they in cold climates?").refused


def test_a_heading_that_names_a_work_no_abstract_writes_is_refused(tmp_path):
    """ "Heat Pump Atlas V (muHeat): ..." opens on a named work the collection lacks: refused
    however close the rest comes to a paper; a heading of ordinary words holding an unknown
    number is a topic, and the known title as heading is answered."""
    from rag.engine import Engine

    settings = _settings_over(tmp_path, unknown_term_threshold=0.0)
    engine = Engine(settings)
    question = "Heat Pump Atlas V (muHeat): how much does efficiency fall in cold climates?"
    assert engine.ask(question).refused
    assert not engine.ask("heat pumps 40M homes: how much does efficiency fall?").refused
    assert not engine.ask("Heat Pumps (13M): how much does efficiency fall in the cold?").refused
    known = engine.ask("Heat Pumps in Winter: how much does efficiency fall in cold climates?")
    assert not known.refused


def test_a_place_that_only_sets_the_scene_is_not_an_unknown_name(tmp_path):
    """ "... in the homes near Lake Tahoe. How much does heat pump efficiency fall?": the
    place no abstract writes stands in a sentence of background, so the unknown-term
    threshold does not apply; asked about ("How efficient are heat pumps at Lake Tahoe?"),
    or pointed back at ("... How did they fare?"), it still does."""
    from rag.engine import Engine

    settings = _settings_over(
        tmp_path, refusal_threshold=0.0, sentence_refusal_threshold=0.0, unknown_term_threshold=0.99
    )
    engine = Engine(settings)
    background = "We heat the homes near Lake Tahoe with wood. "
    assert not engine.ask(background + "How much does heat pump efficiency fall?").refused
    assert engine.ask("How much does heat pump efficiency fall at Lake Tahoe?").refused
    assert engine.ask(background + "How did they fare with heat pumps?").refused
    assert engine.ask("We use GPTQ on heat pumps. How much does efficiency fall?").refused
