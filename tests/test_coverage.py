"""bench/coverage.py: each capability detector on tiny handmade tasks, the priority order, the
atlas document. No enumeration of real task sets."""

import importlib.util
import sys
from pathlib import Path

import numpy as np

from solver.arc.grids import Pair, Task

REPO = Path(__file__).resolve().parent.parent


def load_script(path: Path, name: str):
    """A script of the checkout (bench/ is not a package) as a module, under a name of its own."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


coverage = load_script(REPO / "bench" / "coverage.py", "solver_bench_coverage")


def grid(text: str):
    """A grid from rows of digits ('.' is 0), one row a line."""
    return tuple(tuple(0 if ch == "." else int(ch) for ch in row.strip())
                 for row in text.strip().splitlines())


def task(*pairs: tuple[str, str]) -> Task:
    train = tuple(Pair(grid(i), grid(o)) for i, o in pairs)
    return Task("handmade", train, (Pair(train[0].input, None),))


def labels(t: Task) -> tuple[str, list[str]]:
    return coverage.classify(t)


# ---------------------------------------------------------------- one task a label


def test_template_into_cells_two_halves_combined():
    t = task(("""
        11.5...
        .1.5.2.
        ...5..2
    """, """
        ...
        .1.
        ...
    """), ("""
        1..52..
        ..15..2
        1..5...
    """, """
        1..
        ..1
        ...
    """))
    primary, hits = labels(t)
    assert primary == "template into cells"
    assert coverage.has_separators(np.array(t.train[0].input), 0)


def test_pattern_inpainting_masked_stripes():
    pattern = tuple(tuple((r + c) % 3 + 1 for c in range(6)) for r in range(6))

    def masked(top: int, left: int):
        return tuple(tuple(9 if top <= r < top + 2 and left <= c < left + 2 else v
                           for c, v in enumerate(row)) for r, row in enumerate(pattern))

    t = Task("stripes", (Pair(masked(2, 1), pattern), Pair(masked(3, 3), pattern)),
             (Pair(masked(0, 0), None),))
    primary, hits = labels(t)
    assert primary == "pattern inpainting"
    assert "fill regions" not in hits


def test_pattern_inpainting_mirrored_completion():
    # the left half of a mirror-symmetric figure is drawn from its right half
    t = task(("""
        ........
        ....33..
        ....3.4.
        ....33..
        ........
    """, """
        ........
        ..3333..
        .4.33.4.
        ..3333..
        ........
    """), ("""
        ........
        ....22..
        ....2...
        ....222.
        ........
    """, """
        ........
        ..2222..
        ...22...
        .222222.
        ........
    """))
    assert labels(t)[0] == "pattern inpainting"


def test_select_a_part_largest_object():
    t = task(("""
        ........
        .12.....
        .21...3.
        .11.....
        ........
    """, """
        12
        21
        11
    """), ("""
        ........
        .4......
        ....565.
        ....656.
        ........
    """, """
        565
        656
    """))
    primary, hits = labels(t)
    assert primary == "select a part"
    assert "output size rule" not in hits


def test_counting_pixels_into_a_bar():
    t = task(("""
        1....
        ...1.
        .....
        .1...
    """, """
        111
    """), ("""
        .....
        .1...
        ....1
        .....
    """, """
        11
    """), ("""
        1...1
        .....
        ..1..
        1...1
    """, """
        11111
    """))
    primary, hits = labels(t)
    assert primary == "counting"
    assert "select a part" not in hits


def test_counting_most_frequent_colour():
    t = task(("""
        2.2.3
        .2...
        2...3
    """, """
        2
    """), ("""
        3.3.2
        .3...
        3...6
    """, """
        3
    """), ("""
        6.6.3
        .6...
        6...6
    """, """
        6
    """))
    assert labels(t)[0] == "counting"


def test_classify_the_input_symmetric_or_not():
    t = task(("2.2\n.2.\n2.2", "1"), ("22.\n.2.\n2.2", "7"), (".2.\n222\n.2.", "1"), ("2..\n.22\n..2", "7"))
    primary, hits = labels(t)
    assert primary == "classify the input"
    assert "counting" not in hits


def test_output_size_rule_framed_input():
    t = task(("""
        12
        33
    """, """
        444444
        444444
        441244
        443344
        444444
        444444
    """), ("""
        123
        456
        789
    """, """
        4444444
        4444444
        4412344
        4445644
        4478944
        4444444
        4444444
    """))
    primary, hits = labels(t)
    assert primary == "output size rule"
    assert "pattern inpainting" not in hits


def test_fill_regions_enclosed_background():
    t = task(("""
        ......
        .1111.
        .1..1.
        .1111.
        ......
    """, """
        ......
        .1111.
        .1441.
        .1111.
        ......
    """), ("""
        .......
        ..111..
        ..1.1..
        ..1.1..
        ..111..
        .......
    """, """
        .......
        ..111..
        ..141..
        ..141..
        ..111..
        .......
    """))
    primary, hits = labels(t)
    assert primary == "fill regions"
    assert "line drawing" not in hits


def test_denoise_specks_removed():
    t = task(("""
        5.......
        .222....
        .222..5.
        ........
        ....5...
    """, """
        ........
        .222....
        .222....
        ........
        ........
    """), ("""
        ........
        ..5.....
        ....33..
        5...33..
        ....33.5
    """, """
        ........
        ........
        ....33..
        ....33..
        ....33..
    """))
    primary, hits = labels(t)
    assert primary == "denoise"
    assert "fill regions" not in hits


def test_line_drawing_rays_to_the_edge():
    t = task(("""
        ........
        ..3.....
        ........
        ........
    """, """
        ........
        ..333333
        ........
        ........
    """), ("""
        ........
        ........
        ...2....
        ........
    """, """
        ........
        ........
        ...22222
        ........
    """))
    primary, hits = labels(t)
    assert primary == "line drawing"


def test_line_drawing_is_not_a_ring_around_a_pixel():
    t = task(("""
        .......
        .......
        ..5....
        .......
        .......
    """, """
        .......
        .111...
        .151...
        .111...
        .......
    """), ("""
        .......
        .......
        .......
        .....5.
        .......
    """, """
        .......
        .......
        ....111
        ....151
        ....111
    """))
    primary, hits = labels(t)
    assert "line drawing" not in hits
    assert primary == "per-object map"


def test_move_objects_fall_to_the_floor():
    t = task(("""
        .22..
        .2...
        .....
        ...3.
        .....
    """, """
        .....
        .....
        .22..
        .2...
        ...3.
    """), ("""
        4....
        .....
        ..66.
        .....
        .....
    """, """
        .....
        .....
        .....
        .....
        4.66.
    """))
    assert labels(t)[0] == "move objects"


def test_conditional_recolour_by_size():
    # objects of the same colour end up in different colours: the larger one becomes 2
    t = task(("""
        .......
        .55..5.
        .55....
        .......
        ....5..
    """, """
        .......
        .22..1.
        .22....
        .......
        ....1..
    """), ("""
        5......
        ...555.
        ...555.
        .5.....
    """, """
        1......
        ...222.
        ...222.
        .1.....
    """))
    primary, hits = labels(t)
    assert primary == "conditional on a property"
    assert "per-object map" in hits


def test_per_object_map_centre_marked():
    t = task(("""
        .......
        .333...
        .333...
        .333...
        .......
    """, """
        .......
        .333...
        .383...
        .333...
        .......
    """), ("""
        ........
        ....1111
        ....1111
        ....1111
        ........
    """, """
        ........
        ....1111
        ....1881
        ....1111
        ........
    """))
    primary, hits = labels(t)
    assert primary == "per-object map"
    assert "conditional on a property" not in hits


def test_layering_copies_a_shape():
    # a turned copy of the input's shape is laid on the empty canvas; the input stays
    t = task(("""
        .........
        .2.......
        .22......
        .........
        .........
        .........
    """, """
        .........
        .2.......
        .22......
        .........
        ......22.
        ......2..
    """), ("""
        .........
        .66......
        ..6......
        .........
        .........
        .........
    """, """
        .........
        .66......
        ..6......
        .........
        .....6...
        .....66..
    """))
    primary, hits = labels(t)
    assert primary == "layering"
    assert "per-object map" not in hits


def test_other_when_nothing_fires():
    t = task(("1...\n....\n....\n....", "....\n.1.1\n....\n...."),
             ("....\n....\n....\n..2.", "2...\n....\n2...\n...."))
    assert labels(t) == ("other", [])


# ---------------------------------------------------------------- helpers and the document


def test_symmetry_helpers():
    a = np.array(grid("121\n343\n121"))
    names = coverage.symmetries(a)
    assert "lr2" in names and "ud2" in names and "rot180" in names
    stripes = np.array(grid("1212\n1212"))
    assert (0, 2) in coverage.periods(stripes)
    mask = np.zeros((3, 4), dtype=bool)
    mask[1, 0] = True
    assert coverage.image(mask, "lr3")[1, 3]
    assert coverage.image(mask, "shift0,2")[1, 2]


def test_labels_are_a_short_fixed_vocabulary_in_priority_order():
    names = [lab.name for lab in coverage.LABELS]
    assert len(set(names)) == len(names) and 10 <= len(names) + 1 <= 14
    assert names[0] == "template into cells" and coverage.OTHER.name == "other"
    assert all(lab.definition for lab in (*coverage.LABELS, coverage.OTHER))


def test_markdown_counts_and_lists_unsolved():
    records = [{"id": "aaa", "solved": True, "best_accuracy": 1.0},
               {"id": "bbb", "solved": False, "best_accuracy": 0.5}]
    rows = [{"id": "bbb", "primary": "denoise", "labels": ["denoise", "fill regions"],
             "best_accuracy": 0.5}]
    text = coverage.markdown(records, rows, "python bench/coverage.py --seconds 5", 5.0, 3)
    assert "**Solved by the enumerator: 1/2**" in text
    assert "python bench/coverage.py --seconds 5" in text
    assert "| denoise | 1 | 1 |" in text
    assert "| fill regions | 0 | 1 |" in text
    assert "`bbb` (0.50; fill)" in text


def test_the_script_runs_end_to_end_on_two_tasks(tmp_path):
    """``main`` on the first two training tasks, 1 s each, one worker: the records and the
    atlas are written (the search path with its backend settings, not only the detectors)."""
    import json

    out, md = tmp_path / "records.json", tmp_path / "atlas.md"
    assert coverage.main(["--limit", "2", "--task-time", "1s", "--workers", "1",
                          "--out", str(out), "--md", str(md)]) == 0
    records = json.loads(out.read_text())["tasks"]
    assert [r["id"] for r in records] == ["007bbfb7", "00d62c1b"]
    assert md.read_text().startswith("# Coverage")
