"""Reading a pack file: YAML → schema → semantic checks, with every error pointing at its YAML line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from policy.schema import ACTIVITY_END, ACTIVITY_START, SCHEMA_VERSION, Condition, PolicyPack


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
    """Parse and validate one pack file; raise PackInvalid listing every problem found. The documents it cites must
    lie beside it."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackInvalid([PackError(name, 0, "", f"cannot read file: {exc}")]) from exc
    return load_text(text, name, beside=path.parent)


def load_text(text: str, name: str, *, beside: Path | None = None) -> PolicyPack:
    """Parse and validate a pack's text (an upload, or a version kept in the database). With ``beside``, the files of
    its documents must exist in that directory."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise PackInvalid([PackError(name, line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    if not isinstance(data, dict):
        raise PackInvalid([PackError(name, 1, "", "a pack must be a YAML mapping")])
    if data.get("schema") != SCHEMA_VERSION:
        raise PackInvalid([PackError(
            name, _line_of(root, ("schema",)), "schema",
            f"this file is not written for pack schema {SCHEMA_VERSION} (give 'schema: {SCHEMA_VERSION}' and the keys "
            "of policy/SCHEMA.md)")])
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        errors = [
            PackError(name, _line_of(root, err["loc"]), _dotted(err["loc"]), _message(err))
            for err in exc.errors()
        ]
        raise PackInvalid(errors) from exc
    problems = semantic_problems(pack)
    if beside is not None:
        for index, document in enumerate(pack.documents):
            if not (beside / document.file).is_file():
                problems.append((("documents", index, "file"),
                                 f"the source text {document.file} is not beside the pack"))
    if problems:
        raise PackInvalid([PackError(name, _line_of(root, loc), _dotted(loc), msg) for loc, msg in problems])
    return pack


def document_for(pack: PolicyPack, cite: str):
    """The document a citation names: the declared id that is the longest whole-segment prefix of it."""
    best = None
    for document in pack.documents:
        if (cite == document.id or cite.startswith(document.id + "/")) and (
                best is None or len(document.id) > len(best.id)):
            best = document
    return best


def semantic_problems(pack: PolicyPack) -> list[tuple[tuple, str]]:
    """Rules the schema alone cannot say: citations resolve to the pack's documents, ids are unique, what one part
    names exists in another."""
    problems: list[tuple[tuple, str]] = []
    dumped = pack.model_dump(mode="python")
    declared = ", ".join(d.id for d in pack.documents)
    for loc, cites in _walk_cites(dumped, ()):
        for index, cite in enumerate(cites):
            if document_for(pack, cite) is None:
                problems.append(((*loc, index), f"citation {cite!r} names no document of this pack ({declared})"))
    for loc, ids in _walk_id_lists(dumped, ()):
        seen: set[str] = set()
        for index, ident in enumerate(ids):
            if ident in seen:
                problems.append(((*loc, index, "id"), f"duplicate id {ident!r}"))
            seen.add(ident)
    categories = set(pack.agency.categories)
    has_case_file = pack.retention is not None and pack.retention.case_file is not None
    moments = {ACTIVITY_START, ACTIVITY_END} | {m.id for m in (pack.recording.moments if pack.recording else [])}
    for index, row in enumerate(pack.checklist):
        where = ("recording", "checklist", index)
        for category in row.categories:
            if category not in categories:
                problems.append(((*where, "categories"),
                                 f"category {category.value!r} is not among the agency's categories"))
        if row.storage is not None and row.storage.same_as_case_file and not has_case_file:
            problems.append(((*where, "storage"), "same_as_case_file needs retention.case_file"))
        for end in ("starts_at", "ends_at"):
            if getattr(row, end).at not in moments:
                problems.append(((*where, end, "at"), f"{getattr(row, end).at!r} is neither the activity's start or "
                                                      "end nor a moment declared in recording.moments"))
    for index, rule in enumerate(pack.retention.rules if pack.retention else []):
        if rule.keep.same_as_case_file and not has_case_file:
            problems.append((("retention", "rules", index, "keep"), "same_as_case_file needs retention.case_file"))
    properties = {p.id for p in pack.properties}
    rows = {row.id for row in pack.checklist}
    for loc, condition in _walk_conditions(pack, ()):
        for name in condition.property or []:
            if name not in properties:
                problems.append(((*loc, "property"), f"property {name!r} is not declared in properties"))
        for name in condition.stage or []:
            if name not in rows:
                problems.append(((*loc, "stage"), f"stage {name!r} is not a checklist row"))
    return problems


def _walk_conditions(node: object, loc: tuple):
    from pydantic import BaseModel

    if isinstance(node, Condition):
        yield loc, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk_conditions(getattr(node, name), (*loc, _alias(node, name)))
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _walk_conditions(value, (*loc, index))


def _alias(node, name: str) -> str:
    return type(node).model_fields[name].alias or name


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
