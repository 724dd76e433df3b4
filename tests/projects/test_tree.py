"""codepair.domain.projects: path rules, caps, and the tree a ``code`` document holds."""

from __future__ import annotations

import io
import zipfile

import pytest
from pycrdt import Doc, Map, Text

from codepair.domain.projects.archive import to_zip
from codepair.domain.projects.tree import (
    Tree,
    TreeCaps,
    TreeError,
    check_path,
    default_entry,
    read_tree,
    write_tree,
)


@pytest.mark.parametrize(
    "path",
    ["main.py", "src/app.ts", "a/b/c/d.txt", ".gitignore", "src/.env.example", "é/ü.py", "x" * 255],
)
def test_valid_paths_pass(path: str) -> None:
    assert check_path(path) == path


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("", "empty"),
        ("/etc/passwd", "relative"),
        ("../secret", "'..'"),
        ("src/../../x", "'..'"),
        ("./main.py", "'.'"),
        ("src//main.py", "empty folder"),
        ("src/", "empty folder"),
        ("a\x00b", "control"),
        ("a\nb", "control"),
        ("a\x7fb", "control"),
        ("src\\main.py", "'/'"),
        ("é" * 128, "255 bytes"),
        ("\ud800.py", "Unicode"),
        (7, "string"),
        (None, "string"),
    ],
)
def test_bad_paths_are_refused_with_a_reason(path: object, why: str) -> None:
    with pytest.raises(TreeError, match=why):
        check_path(path)


def test_caps_count_files_bytes_and_the_whole_tree() -> None:
    caps = TreeCaps(max_files=3, max_file_bytes=10, max_tree_bytes=25)
    Tree("main.py", {"main.py": "x" * 10, "a.py": "y" * 10, "b.py": "z" * 5}).check(caps)
    with pytest.raises(TreeError, match="at most 3 files"):
        Tree("main.py", {f"f{i}.py": "" for i in range(4)}).check(caps)
    with pytest.raises(TreeError, match=r"a\.py: a file holds at most 10 bytes"):
        Tree("main.py", {"main.py": "", "a.py": "é" * 6}).check(caps)
    with pytest.raises(TreeError, match="at most 25 bytes in all"):
        Tree("main.py", {"main.py": "x" * 10, "a.py": "y" * 10, "b.py": "z" * 6}).check(caps)


def test_a_path_cannot_be_a_file_and_a_folder() -> None:
    with pytest.raises(TreeError, match="src/lib is both a file and a folder"):
        Tree("main.py", {"main.py": "", "src/lib": "", "src/lib/x.py": ""}).check(TreeCaps())


def test_a_single_file_room_is_a_project_with_one_file() -> None:
    doc: Doc = Doc()
    doc.get("code", type=Text).insert(0, "print(1)\n")
    doc.get("meta", type=Map)["language"] = "python"
    assert read_tree(doc) == Tree("main.py", {"main.py": "print(1)\n"})
    # No meta at all (a room's first moments): the room's language decides the entry's name.
    assert read_tree(Doc(), "java") == Tree("Main.java", {"Main.java": ""})
    assert default_entry(None) == "main.txt"


def test_written_trees_read_back_and_replace_what_was_there() -> None:
    doc: Doc = Doc()
    doc.get("meta", type=Map)["language"] = "python"
    write_tree(
        doc, {"app.py": "import util\n", "util.py": "X = 1\n", "tests/t.py": "ok\n"}, "app.py"
    )
    tree = read_tree(doc)
    assert tree.entry == "app.py"
    assert tree.files == {"app.py": "import util\n", "tests/t.py": "ok\n", "util.py": "X = 1\n"}
    assert str(doc.get("code", type=Text)) == "import util\n"
    assert "app.py" not in doc.get("files", type=Map)

    write_tree(doc, {"app.py": "print(2)\n", "b.py": ""}, "app.py")
    assert read_tree(doc).files == {"app.py": "print(2)\n", "b.py": ""}


def test_keys_a_reader_must_not_trust_are_left_out() -> None:
    doc: Doc = Doc()
    doc.get("meta", type=Map)["entry"] = "../evil.py"  # not a path: the default entry
    files = doc.get("files", type=Map)
    files["../escape.py"] = Text("x")
    files["main.py"] = Text("shadow of the entry")
    files["note"] = "a string, not a Y.Text"
    files["ok.py"] = Text("fine")
    assert read_tree(doc, "python") == Tree("main.py", {"main.py": "", "ok.py": "fine"})


def test_the_zip_holds_every_file_under_one_folder_and_is_stable() -> None:
    tree = Tree("main.py", {"main.py": "print('hé')\n", "pkg/mod.py": "X = 1\n"})
    data = to_zip(tree, "room-abc")
    assert data == to_zip(tree, "room-abc")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["room-abc/main.py", "room-abc/pkg/mod.py"]
        assert archive.read("room-abc/main.py").decode() == "print('hé')\n"
