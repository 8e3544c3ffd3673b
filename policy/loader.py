"""Reading a pack file: YAML → schema → semantic checks, with every error pointing at its YAML line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from policy.schema import ChecklistRow, PolicyPack


@dataclass(frozen=True)
class PackError:
    file: str
    line: int
    location: str
    message: str

    def __str__(self) -> str:
        where = f" ({self.location})" if self.location else ""
        return f"{self.file}:{self.line}{where}: {self.message}"


class PackInvalid(Exception):
    def __init__(self, errors: list[PackError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def load_pack(path: Path) -> PolicyPack:
    """Parse and validate one pack file; raise PackInvalid listing every problem found."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackInvalid([PackError(name, 0, "", f"cannot read file: {exc}")]) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise PackInvalid([PackError(name, line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    if not isinstance(data, dict):
        raise PackInvalid([PackError(name, 1, "", "a pack must be a YAML mapping")])
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        errors = [
            PackError(name, _line_of(root, err["loc"]), _dotted(err["loc"]), _message(err))
            for err in exc.errors()
        ]
        raise PackInvalid(errors) from exc
    problems = semantic_problems(pack)
    if problems:
        raise PackInvalid([PackError(name, _line_of(root, loc), _dotted(loc), msg) for loc, msg in problems])
    return pack


def semantic_problems(pack: PolicyPack) -> list[tuple[tuple, str]]:
    """Rules the schema alone cannot say: citations from this pack's own document, unique ids, coherence."""
    problems: list[tuple[tuple, str]] = []
    own = pack.document_number
    for loc, cites in _walk_cites(pack.model_dump(mode="python"), ()):
        for index, cite in enumerate(cites):
            if not cite.startswith(own + "/"):
                problems.append(((*loc, index), f"citation {cite!r} is not from this pack's source document {own}"))
    for loc, ids in _walk_id_lists(pack.model_dump(mode="python"), ()):
        seen: set[str] = set()
        for index, ident in enumerate(ids):
            if ident in seen:
                problems.append(((*loc, index, "id"), f"duplicate id {ident!r}"))
            seen.add(ident)
    categories = set(pack.agency.categories)
    for index, row in enumerate(pack.recording.checklist):
        for category in row.categories:
            if category not in categories:
                problems.append(
                    (("recording", "checklist", index, "categories"),
                     f"category {category.value!r} is not among the agency's categories")
                )
        if _uses_case_file(row) and pack.retention.case_file is None:
            problems.append(
                (("recording", "checklist", index, "storage"), "same_as_case_file needs retention.case_file")
            )
    for index, rule in enumerate(pack.retention.rules):
        if rule.keep.same_as_case_file and pack.retention.case_file is None:
            problems.append((("retention", "rules", index, "keep"), "same_as_case_file needs retention.case_file"))
    return problems


def _uses_case_file(row: ChecklistRow) -> bool:
    return row.storage is not None and row.storage.same_as_case_file


def _walk_cites(node: object, loc: tuple):
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("cite") and isinstance(value, list):
                yield (*loc, key), value
            else:
                yield from _walk_cites(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk_cites(value, (*loc, index))


def _walk_id_lists(node: object, loc: tuple):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_id_lists(value, (*loc, key))
    elif isinstance(node, list):
        if node and all(isinstance(v, dict) and "id" in v for v in node):
            yield loc, [v["id"] for v in node]
        for index, value in enumerate(node):
            yield from _walk_id_lists(value, (*loc, index))


def _line_of(node: yaml.Node | None, loc: tuple) -> int:
    """The line of the deepest YAML node that the error location reaches."""
    line = node.start_mark.line + 1 if node is not None else 0
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    child = value_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _dotted(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith(("function-", "list[", "union[")))


def _message(err: dict) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key (not part of the pack schema)"
    if err["type"] == "missing":
        return "required key is missing"
    return err["msg"]
