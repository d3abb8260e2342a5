"""What a question's names point to: the papers about them, the ones leading the answer, and
the names no paper here is about. Built by `rag.naming.PaperNames.plan`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

# A rival closer by this much (cosine of abstract centroids) to the papers the question names
# beside it is the one meant: "SPO and UPO both ..." means the SPO of UPO's field
CO_NAMED_MARGIN = 0.1


@dataclass
class NamePlan:
    about: list[str] = field(default_factory=list)  # paper ids about a named thing, best first
    about_if_retrieved: list[str] = field(default_factory=list)  # same, for plain words
    focus: list[str] = field(default_factory=list)  # names that have a paper about them
    specific: list[str] = field(default_factory=list)  # of those, names of one or two papers
    mentioned_only: list[str] = field(default_factory=list)  # names with no paper about them
    mentioning: list[str] = field(default_factory=list)  # paper ids that mention those names
    leads: list[str] = field(default_factory=list)  # each specific name's own paper, in order
    # papers moved to the top of the sources: not one whose title merely contains a name the
    # question uses as a setting ("DPO Meets PPO" for "a PPO planner")
    promoted: list[str] = field(default_factory=list)
    # a lead's rivals: other papers that own its name as strongly ("ARPO" is introduced by an
    # agent-RL paper and by a translation paper); retrieval decides between them
    rivals: dict[str, list[str]] = field(default_factory=dict)
    # the origins of a name whose lead only has it in its title ("the Transformer": "Efficient
    # Transformer Inference" leads, "Attention Is All You Need" introduced it)
    origins: list[str] = field(default_factory=list)

    def settled(
        self, retrieved: list[str], closeness: Callable[[str, list[str]], float] | None = None
    ) -> NamePlan:
        """The plan with each lead the first of its rivals that retrieval ranks highest, or,
        when the question names other papers beside it, the rival clearly closest to them
        (`closeness`: how near a paper is to others)."""
        if not self.rivals:
            return self
        place = {pid: i for i, pid in enumerate(retrieved)}
        rivalled = {pid for lead, others in self.rivals.items() for pid in (lead, *others)}
        beside = [pid for pid in self.leads if pid not in rivalled]
        leads, about, promoted = list(self.leads), list(self.about), list(self.promoted)
        for lead, others in self.rivals.items():
            candidates = sorted([lead, *others], key=lambda pid: place.get(pid, len(place)))
            chosen = candidates[0]
            if beside and closeness:
                near = {pid: closeness(pid, beside) for pid in candidates}
                closest = max(candidates, key=lambda pid: near[pid])
                if near[closest] >= near[chosen] + CO_NAMED_MARGIN:
                    chosen = closest
            if chosen == lead:
                continue
            leads = [chosen if pid == lead else pid for pid in leads]
            for order in (about, promoted):
                if lead in order and chosen in order:
                    order.remove(chosen)
                    order.insert(order.index(lead), chosen)
        return replace(self, leads=leads, about=about, promoted=promoted, rivals={})
