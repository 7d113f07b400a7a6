"""Scenes and scripts agree: node paths, node types, resource paths and theme variations exist.

Without the engine, a wrong `%Name` or `res://` path would surface only when a player opens the
screen; these checks read the text scenes and scripts and catch it in `make test`.
"""

import re
from pathlib import Path

import pytest
from godot_project import (
    GODOT_ROOT,
    NodeReference,
    Scene,
    SceneNode,
    game_files,
    node_references,
    parse_tscn,
    res_to_path,
    scene_tree,
)

SCENES = game_files(".tscn")
SCRIPTS = game_files(".gd")
# Godot's class hierarchy for the node types the scenes use (child -> parent), up to Node.
NATIVE_PARENTS = {
    "Button": "BaseButton",
    "BaseButton": "Control",
    "Label": "Control",
    "LineEdit": "Control",
    "ColorRect": "Control",
    "VBoxContainer": "BoxContainer",
    "HBoxContainer": "BoxContainer",
    "BoxContainer": "Container",
    "MarginContainer": "Container",
    "CenterContainer": "Container",
    "PanelContainer": "Container",
    "ScrollContainer": "Container",
    "Container": "Control",
    "Control": "CanvasItem",
    "CanvasItem": "Node",
    "Timer": "Node",
    "Node": "",
}
_CLASS_NAME = re.compile(r"^class_name\s+(\w+)", re.MULTILINE)


def _class_name(script_res_path: str) -> str:
    match = _CLASS_NAME.search(res_to_path(script_res_path).read_text(encoding="utf-8"))
    return match[1] if match else ""


def _types_of(node: SceneNode) -> set[str]:
    """The types a node can be declared as: its class, the class's ancestors, its script's name."""
    types: set[str] = set()
    current = node.type
    while current:
        assert current in NATIVE_PARENTS, f"add {current}'s parent class to NATIVE_PARENTS"
        types.add(current)
        current = NATIVE_PARENTS[current]
    if node.script and (script_class := _class_name(node.script)):
        types.add(script_class)
    return types


def _resolve(tree: list[SceneNode], owner: SceneNode, reference: NodeReference) -> SceneNode | None:
    """The node a reference made from `owner`'s script points at, or None."""
    if reference.unique:
        # %Name: a node with unique_name_in_owner in the same scene (Godot looks it up by owner).
        return next(
            (
                node
                for node in tree
                if node.name == reference.path
                and node.properties.get("unique_name_in_owner") == "true"
            ),
            None,
        )
    target = reference.path if owner.path == "." else f"{owner.path}/{reference.path}"
    return next((node for node in tree if node.path == target), None)


def _scripted_nodes() -> list[tuple[Scene, SceneNode]]:
    pairs = []
    for scene_path in SCENES:
        scene = parse_tscn(scene_path)
        pairs.extend((scene, node) for node in scene.nodes if node.script)
    return pairs


SCRIPTED_NODES = _scripted_nodes()


def test_the_project_has_scenes_with_scripts() -> None:
    """The checks below would pass vacuously on an empty project."""
    scripts = {node.script for _, node in SCRIPTED_NODES}
    assert {
        "res://app/app.gd",
        "res://screens/onboarding.gd",
        "res://screens/main.gd",
        "res://screens/leaderboard.gd",
    } <= scripts


@pytest.mark.parametrize(
    ("scene", "node"),
    SCRIPTED_NODES,
    ids=[f"{scene.path.name}:{node.path}" for scene, node in SCRIPTED_NODES],
)
def test_every_node_path_a_script_uses_exists_with_the_declared_type(
    scene: Scene, node: SceneNode
) -> None:
    tree = scene_tree(scene)
    problems = []
    for reference in node_references(res_to_path(node.script)):
        target = _resolve(tree, node, reference)
        where = f"{reference.script.name}:{reference.line} {reference.text}"
        if target is None:
            problems.append(f"{where}: no such node in {scene.path.name}")
        elif reference.declared_type and reference.declared_type not in _types_of(target):
            problems.append(
                f"{where}: declared {reference.declared_type}, the scene has {target.type}"
            )
    assert problems == []


def test_scripts_that_use_node_paths_are_attached_to_a_scene_node() -> None:
    """An autoload or helper class has no scene, so a `$Path` in it can never resolve."""
    attached = {res_to_path(node.script) for _, node in SCRIPTED_NODES}
    loose = [
        f"{path.relative_to(GODOT_ROOT)}: {reference.text}"
        for path in SCRIPTS
        if path not in attached
        for reference in node_references(path)
    ]
    assert loose == []


def test_node_reference_scanner_finds_every_form(tmp_path: Path) -> None:
    """The scanner behind the check above sees each syntax and ignores strings and comments."""
    script = tmp_path / "sample.gd"
    script.write_text(
        "extends Control\n"
        "@onready var _a: Label = %Counter\n"
        "@onready var _b: Button = $Layout/TapArea/TapButton\n"
        '@onready var _c: Timer = $"Refresh Timer"\n'
        'var _d := get_node("Layout/Status")\n'
        'var _e := get_node_or_null("%Share")\n'
        'var _f := "%d taps, $5 %s" % [1, 2]  # $NotANode and %NotUnique\n',
        encoding="utf-8",
    )
    found = [(ref.path, ref.unique, ref.declared_type) for ref in node_references(script)]
    assert found == [
        ("Counter", True, "Label"),
        ("Layout/TapArea/TapButton", False, "Button"),
        ("Refresh Timer", False, "Timer"),
        ("Layout/Status", False, ""),
        ("Share", True, ""),
    ]


def _res_references() -> list[tuple[Path, str]]:
    files = game_files(".gd", ".tscn", ".tres", ".godot", ".cfg")
    references = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        references.extend((path, ref) for ref in re.findall(r"res://[\w./-]*\w", text))
    return references


def test_every_res_path_in_scenes_scripts_and_settings_exists() -> None:
    references = _res_references()
    assert len(references) >= 15, "the scan found too few res:// paths to be trusted"
    missing = [
        f"{path.relative_to(GODOT_ROOT)}: {ref}"
        for path, ref in references
        if not res_to_path(ref).is_file()
    ]
    assert missing == []


def test_every_scene_resource_has_the_type_of_its_file() -> None:
    """An ext_resource declared as Script must be a .gd file, a PackedScene a .tscn."""
    expected_suffix = {"Script": ".gd", "PackedScene": ".tscn"}
    wrong = [
        f"{scene_path.name}: {resource['path']} declared {resource['type']}"
        for scene_path in SCENES
        for resource in parse_tscn(scene_path).resources.values()
        if Path(resource["path"]).suffix != expected_suffix.get(resource["type"], "")
    ]
    assert wrong == []


def _defined_variations() -> set[str]:
    builder = (GODOT_ROOT / "theme" / "theme_builder.gd").read_text(encoding="utf-8")
    defined = set(re.findall(r'set_type_variation\("(\w+)"', builder))
    labels = re.search(r"const LABELS := \{(?P<body>.*?)\n\}", builder, re.DOTALL)
    assert labels, "theme_builder.gd defines its label variations in LABELS"
    defined |= set(re.findall(r'"(\w+)":', labels["body"]))
    return defined


def test_every_theme_variation_used_is_defined_by_the_theme_builder() -> None:
    used: set[str] = set()
    for path in SCENES:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'theme_type_variation = &"(\w+)"', text))
    for path in SCRIPTS:
        # Scripts name variations as StringName literals (&"ErrorLabel"); they use no others.
        used |= set(re.findall(r'&"(\w+)"', path.read_text(encoding="utf-8")))
    assert {"TapButton", "MyBoardRow", "BoardRow", "ErrorLabel"} <= used
    assert used - _defined_variations() == set()
