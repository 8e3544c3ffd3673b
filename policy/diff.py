"""What a new pack version changes against the one in force, for the head who approves it: rule by rule, in the
words of the rules page, with the line-by-line text difference beneath for whoever wants it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from policy.presenter import RuleView, topics
from policy.schema import PolicyPack


@dataclass
class TopicChange:
    title: str
    added: list[RuleView] = field(default_factory=list)
    removed: list[RuleView] = field(default_factory=list)
    changed: list[tuple[RuleView, RuleView]] = field(default_factory=list)
    # "now": the new version regulates a topic the old did not; "no_longer": the reverse.
    regulation: str = ""

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.regulation)


def _by_title(rules: list[RuleView]) -> dict[str, RuleView]:
    keyed: dict[str, RuleView] = {}
    for rule in rules:
        title, n = rule.title, 2
        while title in keyed:  # two rules of the same title: keep both, in order
            title, n = f"{rule.title} ({n})", n + 1
        keyed[title] = rule
    return keyed


def readable(old: PolicyPack | None, new: PolicyPack) -> list[TopicChange]:
    """Rules added, removed or changed, by topic; a first version shows every rule as added."""
    before = {t.key: t for t in topics(old)} if old is not None else {}
    changes = []
    for topic in topics(new):
        previous = before.get(topic.key)
        change = TopicChange(topic.title)
        old_rules = _by_title(previous.rules) if previous else {}
        new_rules = _by_title(topic.rules)
        change.added = [rule for title, rule in new_rules.items() if title not in old_rules]
        change.removed = [rule for title, rule in old_rules.items() if title not in new_rules]
        change.changed = [(old_rules[title], rule) for title, rule in new_rules.items()
                          if title in old_rules and (old_rules[title].details, old_rules[title].cites)
                          != (rule.details, rule.cites)]
        if previous is not None and previous.absent != topic.absent:
            change.regulation = "no_longer" if topic.absent else "now"
        if not change.empty:
            changes.append(change)
    return changes


def text_lines(old_text: str, new_text: str) -> list[tuple[str, str]]:
    """The unified difference of the two files, each line with its kind: add, remove, hunk or same."""
    lines = []
    for line in difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), "in force", "proposed",
                                     lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines
