"""The bundled demo set is what ``make_demo`` generates, byte for byte."""

from solver.dsl.demo import DEMO_DIR, make_demo


def test_make_demo_regenerates_the_bundled_files(tmp_path):
    ids = make_demo(tmp_path)
    assert ids == ["vertical-lines-9-s2025-0000", "squares-9-s2025-0000",
                   "overlapping-squares-6-s2025-0000", "squares-12-s2025-0000",
                   "squares-16-s2025-0000", "squares-20-s2025-0000", "squares-25-s2025-0000"]
    for name in ("challenges.json", "solutions.json", "programs.json"):
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name
