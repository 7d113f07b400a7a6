"""Read the Godot project's text files (project.godot, export_presets.cfg, .tscn, .gd) in Python.

The checks in this directory run without the Godot engine, so they parse what they need: Godot's
ConfigFile syntax, the node tree of text scenes and the node paths GDScript refers to.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GODOT_ROOT = Path(__file__).resolve().parent.parent
REPO_ROOT = GODOT_ROOT.parent
# Directories that are not part of the game: these checks, the Python tools (pack builder,
# runtime fetch), the export and the editor's cache.
NOT_GAME_DIRS = frozenset({"tests", "tools", "build", ".godot"})

_SECTION = re.compile(r"^\[(?P<header>.+)\]\s*$")
_ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
_OPENERS = {"(": ")", "[": "]", "{": "}"}


def game_files(*suffixes: str) -> list[Path]:
    """The project's files (with one of `suffixes`, if given), outside tests, export and cache."""
    return sorted(
        path
        for path in GODOT_ROOT.rglob("*")
        if path.is_file()
        and (not suffixes or path.suffix in suffixes)
        and not NOT_GAME_DIRS.intersection(path.relative_to(GODOT_ROOT).parts)
    )


def res_to_path(res_path: str) -> Path:
    """The file a `res://` path names."""
    assert res_path.startswith("res://"), res_path
    return GODOT_ROOT / res_path.removeprefix("res://")


def _balanced(text: str) -> bool:
    """True when `text` closes every quote and bracket it opens (a value may span lines)."""
    stack: list[str] = []
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in _OPENERS:
            stack.append(_OPENERS[char])
        elif stack and char == stack[-1]:
            stack.pop()
    return not in_string and not stack


def parse_cfg(path: Path) -> dict[str, dict[str, str]]:
    """Godot's ConfigFile text format: `{section: {key: raw value}}`; "" holds keys before any."""
    sections: dict[str, dict[str, str]] = {"": {}}
    current = ""
    pending_key = ""
    pending_value = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if pending_key:
            pending_value += "\n" + line
        elif not line.strip() or line.lstrip().startswith(";"):
            continue
        elif match := _SECTION.match(line):
            current = match["header"]
            sections.setdefault(current, {})
            continue
        else:
            pending_key, _, pending_value = line.partition("=")
            pending_key = pending_key.strip()
        if _balanced(pending_value):
            sections[current][pending_key] = pending_value.strip()
            pending_key = ""
    assert not pending_key, f"{path}: the value of {pending_key} never ends"
    return sections


def decode(raw: str) -> Any:
    """A Godot Variant literal as Python: strings, numbers, booleans, PackedStringArray."""
    if raw.startswith('"'):
        return json.loads(raw)
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if re.fullmatch(r"-?\d+\.\d*(e-?\d+)?", raw):
        return float(raw)
    if match := re.fullmatch(r"PackedStringArray\((?P<items>.*)\)", raw, re.DOTALL):
        items = match["items"].strip()
        return json.loads(f"[{items}]") if items else []
    return raw


@dataclass
class SceneNode:
    """One `[node]` of a text scene; `path` is relative to the scene's root ("." for the root)."""

    name: str
    type: str
    path: str
    properties: dict[str, str]
    script: str = ""
    instance: str = ""


@dataclass
class Scene:
    """A parsed `.tscn`: its external resources by id and its nodes in file order."""

    path: Path
    resources: dict[str, dict[str, str]] = field(default_factory=dict)
    nodes: list[SceneNode] = field(default_factory=list)

    def node(self, path: str) -> SceneNode | None:
        """The node at `path` relative to the root, if there is one."""
        return next((node for node in self.nodes if node.path == path), None)


def _attributes(header: str) -> dict[str, str]:
    return {key: decode(value) for key, value in _ATTRIBUTE.findall(header)}


def _resource_id(raw: str) -> str:
    match = re.fullmatch(r'ExtResource\("(?P<id>[^"]+)"\)', raw)
    assert match, f"not an ExtResource reference: {raw}"
    return match["id"]


def parse_tscn(path: Path) -> Scene:
    """The external resources and the node tree of a text scene (format 3)."""
    scene = Scene(path=path)
    current: SceneNode | None = None
    for header, body in _blocks(path.read_text(encoding="utf-8")):
        kind, _, rest = header.partition(" ")
        attributes = _attributes(rest)
        if kind == "ext_resource":
            scene.resources[str(attributes["id"])] = attributes
            current = None
        elif kind == "node":
            parent = attributes.get("parent")
            name = str(attributes["name"])
            node_path = "." if parent is None else (name if parent == "." else f"{parent}/{name}")
            current = SceneNode(
                name=name, type=str(attributes.get("type", "")), path=node_path, properties={}
            )
            if "instance" in attributes:
                current.instance = scene.resources[_resource_id(attributes["instance"])]["path"]
            scene.nodes.append(current)
        else:
            current = None
        if current is not None:
            current.properties.update(body)
            if "script" in body:
                current.script = scene.resources[_resource_id(body["script"])]["path"]
    return scene


def _blocks(text: str) -> list[tuple[str, dict[str, str]]]:
    """`[header]` blocks of a scene with their `key = value` lines."""
    blocks: list[tuple[str, dict[str, str]]] = []
    pending_key = ""
    pending_value = ""
    for line in text.splitlines():
        if pending_key:
            pending_value += "\n" + line
        elif match := _SECTION.match(line):
            blocks.append((match["header"], {}))
            continue
        elif " = " in line and blocks:
            pending_key, _, pending_value = line.partition(" = ")
        else:
            continue
        if _balanced(pending_value):
            blocks[-1][1][pending_key.strip()] = pending_value.strip()
            pending_key = ""
    return blocks


def scene_tree(scene: Scene) -> list[SceneNode]:
    """Every node of a scene, with the nodes of instanced sub-scenes under their instance."""
    nodes: list[SceneNode] = []
    for node in scene.nodes:
        nodes.append(node)
        if node.instance:
            for inner in scene_tree(parse_tscn(res_to_path(node.instance))):
                if inner.path != ".":
                    inner_path = inner.path if node.path == "." else f"{node.path}/{inner.path}"
                    nodes.append(
                        SceneNode(
                            inner.name, inner.type, inner_path, inner.properties, inner.script
                        )
                    )
    return nodes


@dataclass(frozen=True)
class NodeReference:
    """A node a script reaches: `$A/B`, `%Unique`, or `get_node("A/B")` and its relatives."""

    script: Path
    line: int
    text: str
    unique: bool
    path: str
    declared_type: str = ""


_REFERENCE = re.compile(
    r"""(?:
        \$(?P<dollar_quoted>"[^"]+")
      | \$(?P<dollar>[A-Za-z_][\w/]*)
      | %(?P<unique_quoted>"[^"]+")
      | (?<![\w"'])%(?P<unique>[A-Za-z_]\w*)
      | \b(?:get_node|get_node_or_null|has_node)\(\s*(?P<call>"[^"]+")\s*\)
    )""",
    re.VERBOSE,
)
_ONREADY = re.compile(r"@onready\s+var\s+\w+\s*:\s*(?P<type>[\w.]+)\s*=\s*(?P<value>.+)$")


def node_references(script: Path) -> list[NodeReference]:
    """The node paths a GDScript file uses, with the declared type of `@onready var x: T = $P`."""
    references: list[NodeReference] = []
    for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), start=1):
        code = _strip_comment_and_strings(line)
        onready = _ONREADY.search(line)
        for match in _REFERENCE.finditer(code):
            text = match.group(0)
            original = line[match.start() : match.end()]
            if match["dollar_quoted"] or match["unique_quoted"] or match["call"]:
                quoted = match["dollar_quoted"] or match["unique_quoted"] or match["call"]
                value = json.loads(_original_literal(line, match, quoted))
            else:
                value = match["dollar"] or match["unique"]
            unique = bool(match["unique"] or match["unique_quoted"]) or value.startswith("%")
            declared = onready["type"] if onready and original in onready["value"] else ""
            references.append(
                NodeReference(
                    script=script,
                    line=number,
                    text=text,
                    unique=unique,
                    path=value.removeprefix("%"),
                    declared_type=declared,
                )
            )
    return references


def _original_literal(line: str, match: re.Match[str], masked: str) -> str:
    """The string literal as written (the code was scanned with string contents masked)."""
    start = match.start() + match.group(0).index(masked[0])
    return line[start : start + len(masked)]


def _strip_comment_and_strings(line: str) -> str:
    """The line without its comment, string contents replaced by `_` (quotes kept), so `%` in a
    format string or `$` in text is not taken for a node path; node-path literals keep their
    quotes and length, and are read back from the original line."""
    out: list[str] = []
    in_string = False
    escaped = False
    for char in line:
        if in_string:
            if escaped:
                escaped = False
                out.append("_")
            elif char == "\\":
                escaped = True
                out.append("_")
            elif char == '"':
                in_string = False
                out.append(char)
            else:
                out.append("_")
        elif char == '"':
            in_string = True
            out.append(char)
        elif char == "#":
            break
        else:
            out.append(char)
    return "".join(out)
