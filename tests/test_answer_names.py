"""Questions that name papers, on small corpora written for each case: the named paper
leads and is quoted, each named paper gets a group, record answers, names typed in lower case,
and a named paper is evidence enough."""

from __future__ import annotations

from rag.chat import Chat
from tests.support.small_corpus import engine_over, quote_groups

# a paper on another subject, so that a small corpus has something to rank below
OFF_TOPIC = {
    "title": "Heat Pumps in Winter",
    "abstract": "We measure heat pump efficiency in cold climates across 40 homes.",
}


def test_metadata_question_is_answered_from_the_record(tmp_path):
    rows = [
        {
            "title": "Gradient Checkpointing Revisited",
            "abstract": "We revisit gradient checkpointing for transformer training. "
            "Recomputing selected activations cuts activation memory by 4x at a 20% time cost, "
            "which lets a single GPU train models twice as deep as before.",
            "authors": "Ada Lovelace, Alan Turing",
            "update_date": "2021-05-04",
        },
        {
            "title": "Sparse Mixtures for Speech",
            "abstract": "We train sparse mixture-of-experts models for speech recognition. "
            "Routing each audio frame to two of sixteen experts halves the compute per frame "
            "while keeping the word error rate of a dense model of the same quality.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    chat = Chat(engine)
    chat.ask("How does gradient checkpointing cut activation memory?")
    answer = chat.ask("Who wrote [1]?")
    assert not answer.refused and answer.backend == "metadata"
    assert "Ada Lovelace, Alan Turing [1]" in answer.text
    assert answer.sentences == [] and answer.coverage is None, "no abstract check of a record"
    assert [c.n for c in answer.citations] == [1]
    when = chat.ask("When was [1] published?")
    assert "2021-05-04" in when.text
    # asked about "it", the follow-up's context does not hide that the record is wanted
    for follow_up in ("when was it published?", "what year was it published?"):
        dated = chat.ask(follow_up)
        assert dated.backend == "metadata" and "2021-05-04 [1]" in dated.text, follow_up
    # a source the last answer does not have is not another paper's record
    missing = chat.ask("Who wrote [9]?")
    assert missing.refused and "no source 9" in missing.text and "Ada" not in missing.text
    assert "sources are 1 to 2" in missing.text and "[" not in missing.text
    assert missing.sources == [], "nothing retrieved for it is shown or renumbers the thread"
    again = chat.ask("Who wrote [1]?")  # still the last answer with sources
    assert again.backend == "metadata" and "Ada Lovelace, Alan Turing [1]" in again.text
    alone = Chat(engine).ask("Who wrote [1]?")
    assert alone.refused and "no earlier answer" in alone.text
    # a paper described, not named: the record of the retrieved paper it describes, if any
    described = engine.ask("Who wrote the paper on gradient checkpointing for transformers?")
    assert described.backend == "metadata" and "Ada Lovelace, Alan Turing [1]" in described.text
    off = engine.ask("Who wrote the paper on soccer tactics?")
    assert off.refused and "Ada" not in off.text


def test_metadata_of_a_paper_named_by_a_plain_word(tmp_path):
    """ "Echo" is also an ordinary word: the paper titled by it is the one asked about once
    retrieval agrees, however the question asks for the record (year, venue, "come out")."""
    rows = [
        {
            "title": "Echo: Decoupling Rollouts from Training for Reinforcement Learning",
            "abstract": "We present Echo, a system that runs reinforcement learning rollouts "
            "on inference machines and policy updates on training machines. Echo matches a "
            "co-located baseline in final reward while moving rollouts to cheaper hardware.",
            "authors": "Grace Hopper",
            "journal": "Journal of Systems Research",
            "update_date": "2025-10-01",
        },
        {
            "title": "Acoustic Echo Cancellation with Small Networks",
            "abstract": "Small recurrent networks remove acoustic echo from speech on phones. "
            "A 40k-parameter model cancels echo as well as a classical adaptive filter.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    for question, wanted in [
        ("When was Echo published?", "- date: 2025-10-01 [1]"),
        ("When did Echo come out?", "- date: 2025-10-01 [1]"),
        ("What year is Echo from?", "- date: 2025-10-01 [1]"),
        ("Who are the authors of Echo?", "- authors: Grace Hopper [1]"),
        ("In which journal did Echo appear?", "- venue: Journal of Systems Research [1]"),
    ]:
        answer = engine.ask(question)
        assert answer.backend == "metadata" and not answer.refused, question
        assert answer.sources[0].title.startswith("Echo:")
        assert wanted in answer.text.splitlines(), (question, answer.text)
    # described, not named: the paper retrieval finds for the description, which has no venue
    missing = engine.ask("Where was the acoustic echo cancellation paper published?")
    assert missing.refused and "Journal of Systems Research" not in missing.text
    assert "no venue information for [1] Acoustic Echo Cancellation" in missing.text


def test_a_measure_the_named_paper_does_not_report_is_refused(tmp_path):
    rows = [
        {
            "title": "Zorblax: Adaptive Momentum for Fast Image Classifier Training",
            "abstract": "We propose Zorblax, an adaptive momentum optimizer for training image "
            "classifiers. Zorblax reaches 81.2% top-1 accuracy on ImageNet with ResNet-50 in "
            "60 epochs, matching AdamW trained for 100 epochs.",
        },
        {
            "title": "Budgeting Large Training Runs",
            "abstract": "We estimate the dollar cost of training image classifiers in the "
            "cloud. A ResNet-50 run on ImageNet costs about 300 dollars on rented GPUs.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("What was the total dollar cost of training Zorblax on ImageNet?")
    assert answer.refused, "scored as a refusal"
    assert answer.text.startswith("The abstract of [1] Zorblax: Adaptive Momentum")
    assert "does not state the cost asked about" in answer.text
    reported = engine.ask("What top-1 accuracy does Zorblax reach on ImageNet?")
    assert not reported.refused and "81.2%" in reported.text


def test_the_named_paper_is_quoted_even_when_another_paper_states_the_fact(tmp_path):
    """A paper that only cites the named one may state the asked-for number more closely;
    the answer still quotes the named paper itself, first."""
    rows = [
        {
            "title": "Quillon: Training Versatile Learned Optimizers by Scaling Up",
            "abstract": "Learned optimizers could replace hand-designed update rules. We train "
            "Quillon, a learned optimizer meta-trained on thousands of tasks with a large "
            "compute budget. Quillon requires no hyperparameter tuning and adapts to the "
            "problem it is applied to.",
        },
        {
            "title": "Cheap Learned Optimizers",
            "abstract": "We meta-train small learned optimizers on a budget. Our best one, "
            "meta-trained for 103 GPU-hours of compute, matches Quillon, which was meta-trained "
            "with 4000 TPU-months of compute.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("How much compute went into meta-training Quillon?")
    assert not answer.refused
    assert answer.sources[0].title.startswith("Quillon")
    groups = quote_groups(answer)
    assert groups[0][0] == 1, "the named paper's own sentences come first"
    assert all(quote in answer.sources[0].abstract for quote in groups[0][1])


def test_a_question_typed_in_lower_case_finds_its_names(tmp_path):
    """People type "who wrote granet": the names are found as if typed "GraNet", so the
    record answers, and a method the collection only mentions is still a near miss."""
    rows = [
        {
            "title": "GraNet: Graph Networks for Packet Routing",
            "abstract": "We propose GraNet, a graph network that routes packets in data "
            "centers. GraNet cuts tail latency by 31% against shortest-path routing.",
            "authors": "Edsger Dijkstra",
        },
        {
            "title": "Tuning Small Routers",
            "abstract": "We fine-tune small language models as packet routers and compare "
            "against QLoRA baselines. Full fine-tuning beats QLoRA by 2 points of accuracy.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    who = engine.ask("who wrote granet")
    assert who.backend == "metadata" and "- authors: Edsger Dijkstra [1]" in who.text
    what = engine.ask("what is granet")
    assert what.sources[0].title.startswith("GraNet") and not what.refused
    near = engine.ask("what accuracy does qlora reach when routing packets")
    assert near.refused and near.text.startswith("No paper in this collection is about QLoRA")


def test_the_paper_named_by_its_title_leads_even_when_retrieval_missed_it(tmp_path):
    """Two papers are about "ZenTor" (its own, and a variant titled after it); when retrieval
    returns only the variant, the paper whose title is the name is still put first."""
    rows = [
        {
            "title": "ZenTor: Low-Rank Gradient Projection for Memory-Efficient Training",
            "abstract": "We propose ZenTor, which projects gradients onto a low-rank subspace "
            "so that optimizer states take less memory during pre-training.",
        },
        {
            "title": "Natural ZenTor: Faster Convergence with Fisher Information",
            "abstract": "This work introduces Natural ZenTor, which applies the inverse "
            "empirical Fisher matrix to low-rank gradients and converges faster than ZenTor "
            "when fine-tuning language models for function calling.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    question = "Summarize ZenTor for fine-tuning language models for function calling."
    vector = engine.embed_model.get_query_embedding(question)
    (hit,), _ = engine.retriever.retrieve(question, vector, 1, "hybrid", None, None)
    assert engine.papers[hit.paper_id].title.startswith("Natural ZenTor"), "retrieval's pick"
    answer = engine.ask(question, top_k=1)
    assert [s.title.split(":")[0] for s in answer.sources] == ["ZenTor", "Natural ZenTor"]


def test_a_title_name_of_plain_words_typed_in_lower_case_leads(tmp_path):
    """ "what is quiet harbor" names the paper "Quiet Harbor: ..." by its title, though no word
    looks like a name; a paper that matches the words better comes second."""
    rows = [
        {
            "title": "Quiet Harbor: Coordinated Autoscaling for Heterogeneous GPU Clusters",
            "abstract": "We present a scheduler that scales inference replicas across mixed GPU "
            "generations, cutting tail latency by 31% under bursty load.",
        },
        {
            "title": "Harbor Acoustics: Measuring Quiet Zones in Busy Ports",
            "abstract": "We map quiet zones in a busy harbor with 40 hydrophones and show that "
            "the quietest harbor areas lie behind breakwaters.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("what is quiet harbor")
    assert answer.sources[0].title.startswith("Quiet Harbor:"), answer.text
    plain = engine.ask("what makes a harbor quiet")
    assert plain.sources[0].title.startswith("Harbor Acoustics"), "no title: retrieval order"


def test_each_paper_the_question_names_gets_a_group(tmp_path):
    """ "Does QuilNet outperform ZenTor?" names two papers of the collection: the answer quotes
    both, each its own, even when one abstract matches the question far better."""
    rows = [
        {
            "title": "QuilNet: Sparse Updates for Cheap Training",
            "abstract": "We propose QuilNet, which updates a sparse subset of weights. QuilNet "
            "outperforms ZenTor and dense training by 3 points at the same memory budget.",
        },
        {
            "title": "ZenTor: Low-Rank Gradient Projection",
            "abstract": "We propose ZenTor, which projects gradients onto a low-rank subspace. "
            "Optimizer states then take a quarter of the memory during pre-training.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("Does QuilNet outperform ZenTor?")
    assert not answer.refused
    titles = {n: answer.sources[n - 1].title.split(":")[0] for n, _ in quote_groups(answer)}
    assert sorted(titles.values()) == ["QuilNet", "ZenTor"], answer.text


def test_a_question_naming_a_paper_is_not_refused_for_weak_similarity(tmp_path):
    """ "What is AquilaMoE?" embeds poorly (the encoder has never seen the name), so its
    similarity can fall under the refusal threshold; the paper it names is evidence enough.
    Here the threshold is raised so that every question is weak."""
    from rag.engine import Engine

    rows = [
        {
            "title": "Bilingual Experts at Scale",
            "abstract": "In this paper, we present ZorbaMoE, a bilingual mixture-of-experts "
            "model trained with an efficient continual pre-training strategy.",
        },
        {
            "title": "Heat Pumps in Winter: Efficiency in Cold Climates",
            "abstract": "We measure heat pump efficiency in cold climates across 40 homes.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    strict = Engine(engine.settings.model_copy(update={"refusal_threshold": 0.99}))
    named = strict.ask("What is ZorbaMoE?")
    assert not named.refused and named.sources[0].title == "Bilingual Experts at Scale"
    assert strict.ask("What is a bilingual mixture of experts?").refused, "no name: refused"
    titled = strict.ask("what is heat pumps in winter")
    assert not titled.refused, "no name written like one, but a title's name part"
    unknown = engine.ask("How much memory does ZorbaMoE need for a 65B model on one GPU?")
    assert unknown.refused and "65B" in unknown.text, "a named paper does not waive unknown terms"


def test_the_name_scan_counts_only_what_goes_wrong(tmp_path):
    """bench.name_scan on a corpus it should pass: a paper that introduces its name and is
    titled by it, and one that only cites another name."""
    from bench.name_scan import scan

    rows = [
        {
            "title": "ZenTor: Low-Rank Gradient Projection",
            "abstract": "We propose ZenTor, which projects gradients onto a low-rank subspace "
            "so that optimizer states take a quarter of the memory.",
        },
        {
            "title": "Quantizing Language Models Cheaply",
            "abstract": "We quantize language models to 3 bits with a calibration set of 128 "
            "samples. Our method is faster than, for example, QuantX on all models.",
        },
    ]
    sizes, found = scan(engine_over(tmp_path, rows))
    assert sizes == {"introduced": 1, "titles": 2, "near misses": 1}
    assert found == {"introduced": [], "titles": [], "near misses": []}


def test_the_original_paper_of_a_name_many_papers_use_is_a_near_miss(tmp_path):
    rows = [
        {
            "title": title,
            "abstract": f"{finding} We report results on image classification and translation "
            "benchmarks, and release our code.",
        }
        for title, finding in (
            ("Deeper Zormer Layers", "We study Zormer layers at depth 96 in vision models."),
            (
                "Efficient Zormer Training",
                "Training a Zormer with our schedule takes 3x less memory.",
            ),
            (
                "Zormer Pruning at Scale",
                "We prune Zormer attention heads with no loss of accuracy.",
            ),
        )
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("How many layers does the original Zormer use?")
    assert answer.refused and answer.text.startswith("No paper in this collection is about Zormer")
    assert not engine.ask("How deep are the Zormer layers studied?").refused, "no origin cue"


def test_a_work_cited_by_its_authors_is_a_near_miss_unless_a_paper_here_introduces_it(tmp_path):
    """ "Mbeki et al.'s minimum risk tuning paper": the question asks for that paper, and the
    collection only has one that compares with the method, so it says so instead of quoting the
    comparison; "Citing vortex flow (Okafor et al.): ..." is answered, since the paper here
    introduces vortex flow."""
    rows = [
        {
            "title": "Sampling-based Reinforcement Learning for Sequence Generation",
            "abstract": "We sample fewer sequences during RL training of translation models. Our "
            "method beats REINFORCE, minimum risk tuning and PPO by 1.2 BLEU on WMT14, on the "
            "data splits of Mbeki and Okafor.",
        },
        {
            "title": "Straight Paths: Learning to Transport Data",
            "abstract": "We present vortex flow, a simple approach to learning ODE models that "
            "transport between two distributions along straight paths. Rectifying a coupling "
            "provably lowers its transport cost, and we use it for image translation.",
        },
        OFF_TOPIC,
    ]
    engine = engine_over(tmp_path, rows)
    cited = engine.ask(
        "In Mbeki et al.'s minimum risk tuning paper for machine translation, which loss did "
        "they optimize, and how many BLEU points did it gain?"
    )
    assert cited.refused, cited.text
    assert cited.text.startswith("No paper in this collection is about minimum risk tuning")
    introduced = engine.ask(
        "Citing vortex flow (Okafor et al.): what does rectifying a coupling provably lower?"
    )
    assert not introduced.refused and quote_groups(introduced)[0][0] == 1
    assert introduced.sources[0].title == rows[1]["title"]
    background = engine.ask(
        "Minimum risk tuning (Mbeki et al., 2016) is a classic baseline. By how many BLEU points "
        "does the sampling-based RL method beat it on WMT14?"
    )
    assert not background.refused, "cited in a sentence that does not ask"
    # with author metadata, the cited authors' own paper answers, whatever words it uses
    # (`Turn.by_cited`): the near-miss rule does not override it
    rows.append(
        {
            "title": "Risk-Aware Training for Translation",
            "abstract": "We train translation models to minimize the expected risk of whole "
            "sentences. The sentence-level loss adds 2.1 BLEU over maximum likelihood.",
            "authors": "Thabo Mbeki, Li Wei",
        }
    )
    (tmp_path / "with_authors").mkdir()
    by_authors = engine_over(tmp_path / "with_authors", rows)
    answer = by_authors.ask(
        "In Mbeki et al.'s minimum risk tuning paper for machine translation, how many BLEU "
        "points did the sentence-level loss add?"
    )
    assert not answer.refused and "2.1 BLEU" in answer.text, answer.text


def test_a_question_answered_where_the_name_is_mentioned_is_not_a_near_miss(tmp_path):
    """ "... a speech recognizer like Canary-1B ...": the paper that mentions the name is the
    one that answers, so the question is answered, not refused as a near miss; a question
    about the named model's own figures still is."""
    rows = [
        {
            "title": "Training Efficiency of Encoder-Decoder Speech Recognizers",
            "abstract": "Attention encoder-decoder speech recognizers like Zorbnet-1B waste more "
            "than half of their training compute on padding. Once batch sampling stops wasting "
            "it, training needs 4x fewer GPUs.",
        },
        OFF_TOPIC,
    ]
    engine = engine_over(tmp_path, rows)
    question = (
        "How many fewer GPUs does training an attention encoder-decoder speech recognizer "
        "like Zorbnet-1B need once batch sampling stops wasting compute on padding?"
    )
    answer = engine.ask(question)
    assert not answer.refused and "4x" in answer.text, answer.text
    own = engine.ask("How many layers does Zorbnet-1B have?")
    assert own.refused and own.text.startswith("No paper in this collection is about Zorbnet-1B")


def test_a_title_containing_a_name_used_as_a_setting_is_not_moved_first(tmp_path):
    """ "What driving score does a QuxNet planner ... reach?": QuxNet qualifies the planner,
    so the paper titled "Zorb Meets QuxNet" is not put before the paper that answers."""
    rows = [
        {
            "title": "Zorb Meets QuxNet: Token Rewards for Chatbots",
            "abstract": "We combine Zorb with QuxNet to give chatbots dense token-level rewards "
            "and report higher win rates on dialogue benchmarks.",
        },
        {
            "title": "Simple Rewards for Driving Planners",
            "abstract": "We train a QuxNet driving planner with a simple route-completion reward "
            "in the simulator. The planner reaches a driving score of 64 on the longest routes.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask(
        "What driving score does a QuxNet planner trained with a simple route-completion "
        "reward reach?"
    )
    assert answer.sources[0].title == "Simple Rewards for Driving Planners", answer.text
    assert "64" in answer.text
    subject = engine.ask("What rewards does QuxNet give?")
    assert subject.sources[0].title.startswith("Zorb Meets QuxNet"), "the subject: moved first"


def test_a_greek_letter_typed_out_is_the_symbol(tmp_path):
    """ "PixArt-Sigma" is how one types "PixArt-Σ": not a name no abstract contains."""
    rows = [
        {
            "title": "ZenArt-Σ: Weak-to-Strong Training of Diffusion Transformers",
            "abstract": "We introduce ZenArt-Σ, a diffusion transformer that generates 4K "
            "images directly with 0.6B parameters.",
        },
        OFF_TOPIC,
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("How many parameters does ZenArt-Sigma have?")
    assert not answer.refused and "0.6B" in answer.text, answer.text
    assert engine.ask("How many parameters does ZenArt-Omegax have?").refused


def test_which_techniques_of_a_named_paper_is_not_a_survey(tmp_path):
    """ "LiGraph sped up its training by how much, and which techniques made that possible?"
    asks about one paper: its group gets the sentences that answer, and papers on other
    speed-ups are not listed as if the question wanted every technique in the collection;
    "What systems has Acme described?" names a company several papers are about."""
    rows = [
        {
            "title": "LiGraph: Graph Networks at Acme",
            "abstract": "LiGraph is the graph network platform at Acme. "
            "Its graph jobs became 7x faster through adaptive neighbor sampling and batch "
            "grouping. Acme engineers maintain it.",
        },
        {
            "title": "AcmeRank: Ranking Models at Acme",
            "abstract": "We present AcmeRank, the ranking platform at Acme. "
            "It lifted job applications by 1.8% in online tests.",
        },
        {
            "title": "Compressed Gradients",
            "abstract": "We sped up its large-scale training by 3x with compressed gradients. "
            "Which techniques did it? Quantized gradients and error feedback.",
        },
        {
            "title": "Sampling for Graph Training",
            "abstract": "Neighbor sampling techniques sped up large-scale graph training by 5x. "
            "We study which sampling techniques matter most.",
        },
        OFF_TOPIC,
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("LiGraph sped up its training by how much, and which techniques did it?")
    groups = quote_groups(answer)
    assert [n for n, _ in groups] == [1] and answer.sources[0].title.startswith("LiGraph")
    assert any("7x" in quote for quote in groups[0][1])
    wide = engine.ask("Which systems has Acme described in production?")
    assert len(quote_groups(wide)) >= 2, "a company two papers are about: each one"


def test_a_title_name_typed_with_a_typo_names_the_paper(tmp_path):
    """ "swarm paralelism": the name part of "SWARM Parallelism: ..." with a letter missing
    (and "swarm" also an ordinary word here) still names that paper, which answers."""
    rows = [
        {
            "title": "SWARM Parallelism: Training Large Models Can Be Surprisingly "
            "Communication-Efficient",
            "abstract": "Training large models needs specialized clusters. We propose SWARM "
            "parallelism, a model-parallel algorithm for poorly connected, unreliable devices. "
            "We train a Transformer language model with 1B shared parameters on preemptible "
            "T4 GPUs with less than 200Mb/s network.",
        },
        {
            "title": "Fuzzing Processors with Particle Swarm Optimization",
            "abstract": "We fuzz processor designs with a particle swarm that mutates inputs. "
            "The swarm finds bugs in three open-source cores.",
        },
        OFF_TOPIC,
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("swarm paralelism model size on preemptible T4s")
    assert not answer.refused
    assert quote_groups(answer)[0][0] == 1 and answer.sources[0].title.startswith("SWARM")


def test_which_papers_on_a_name_one_title_holds_lists_the_papers(tmp_path):
    """ "Which papers scale Foam Splatting to cities?" asks for the papers on that topic: the
    one whose title holds the name does not make it a question about that paper alone."""
    rows = [
        {
            "title": "CityFoam: Foam Splatting for Large-scale Unbounded Scenes",
            "abstract": "We scale Foam Splatting to large-scale unbounded city scenes. "
            "A voxel-based densification guides the reconstruction of large scenes.",
        },
        {
            "title": "VastFoam: Vast Foams for Large Scene Reconstruction",
            "abstract": "We present VastFoam, the first method for real-time rendering of "
            "large city scenes based on Foam Splatting, trained block by block.",
        },
        {
            "title": "UrbanBlocks: Reconstructing Whole Cities",
            "abstract": "We partition city-scale scenes into blocks and reconstruct each one "
            "with Foam Splatting, scaling to large scenes of many square kilometres.",
        },
        OFF_TOPIC,
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask(
        "Which papers in the collection scale Foam Splatting up to large city scenes?"
    )
    groups = quote_groups(answer)
    assert len(groups) == 3, answer.text
    one = engine.ask("How does CityFoam scale Foam Splatting up, and which techniques does it use?")
    assert [n for n, _ in quote_groups(one)] == [1], one.text


def test_a_name_inside_a_description_does_not_bring_the_paper_about_it(tmp_path):
    """ "(a) for the accelerated DDIM samplers ... and (b) for diffusion language models":
    DDIM is the first described paper's setting. The paper whose title holds DDIM fits neither
    description and gets no group; before, it came first as the paper the question names."""
    rows = [
        {
            "title": "Accelerating Convergence of Score-Based Samplers, Provably",
            "abstract": "We design training-free algorithms to accelerate the DDIM and DDPM "
            "samplers of score-based diffusion models. Our accelerated sampler converges at a "
            "rate of one over T squared, improving upon the DDIM sampler.",
        },
        {
            "title": "A Convergence Theory for Diffusion Language Models",
            "abstract": "We develop convergence guarantees for diffusion language models from an "
            "information-theoretic view. The sampling error decays inversely with the number "
            "of iterations and grows with the mutual information between tokens.",
        },
        {
            "title": "InPO: Preference Optimization with Reparametrized DDIM",
            "abstract": "We introduce DDIM-InPO, a method to align diffusion models to human "
            "preferences. It fine-tunes a reparametrized DDIM sampler in 400 steps.",
        },
        OFF_TOPIC,
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask(
        "What convergence results are proved (a) for the training-free accelerated DDIM "
        "samplers for score-based diffusion and (b) for diffusion language models from an "
        "information-theoretic view?"
    )
    labels = [answer.sources[n - 1].title for n, _ in quote_groups(answer)]
    assert labels == [rows[0]["title"], rows[1]["title"]], answer.text


def test_a_name_two_papers_introduce_means_the_one_in_the_co_named_papers_field(tmp_path):
    """ "SHO and URO both ...": two papers introduce SHO, one on heat pumps and one on peer
    networks; the question's words lean to the heat-pump one, but URO, named beside it, is a
    peer-network paper, so the peer-network SHO is meant and quoted. Asked alone, retrieval
    still decides."""
    heat = "Staged Heat Optimization: Tuning Heat Pump Stages"
    peer = "Sparse Hashing Overlay for Peer-to-Peer Routing"
    rows = [
        {
            "title": heat,
            "abstract": "Plain optimization of heat pumps misses what each stage contributes. "
            "We propose Staged Heat Optimization (SHO), which tunes every compressor stage "
            "of a heat pump on its own. SHO cuts winter energy use by 12%.",
        },
        {
            "title": peer,
            "abstract": "Peer-to-peer overlays route lookups through many hops. We propose "
            "Sparse Hashing Overlay (SHO), a routing layer that hashes keys into sparse "
            "buckets of peers. SHO halves lookup hops in networks of a million peers.",
        },
        {
            "title": "URO: Uncertainty-aware Routing Overlays",
            "abstract": "Routing overlays in peer-to-peer networks trust every neighbour. We "
            "present URO, an overlay that estimates the uncertainty of each peer's routing "
            "table. URO keeps lookups correct when a third of the peers lie.",
        },
        OFF_TOPIC,
    ]
    engine = engine_over(tmp_path, rows)
    question = "SHO and URO both argue that plain optimization misses something about stages. "
    answer = engine.ask(question + "What does each one add?")
    titles = [answer.sources[n - 1].title for n, _ in quote_groups(answer)]
    assert peer in titles and heat not in titles, answer.text
    alone = engine.ask("How does SHO tune each stage of a heat pump?")
    assert alone.sources[0].title == heat
