"""The description length that ranks train-exact programs (solver.search.mdl)."""

from solver.search.mdl import UNPARSABLE, Length, description_length, register_readers, READERS


def prog(*lines):
    return "def task(img):\n" + "".join(f"    {ln}\n" for ln in lines) + "    return img\n"


def test_calls_and_literals_add_up_and_tuples_count_their_elements():
    assert description_length(prog("draw_pixel(img, (0, 1), 3)")) == Length(4, 0)
    assert description_length(prog("draw_line(img, (0, 0), (0, 5), 7)",
                                    "draw_pixel(img, (2, 2), 1)")) == Length(10, 0)


def test_fewer_draws_rank_first():
    one = prog("draw_line(img, (2, 0), (2, 8), 7)")
    eraser = prog("draw_line(img, (2, 0), (2, 12), 7)", "draw_line(img, (2, 9), (2, 12), 0)")
    assert description_length(one) < description_length(eraser)


def test_reading_a_colour_from_the_input_beats_hard_coding_it():
    literal = prog("draw_line(img, (0, 0), (0, 5), 0)")
    read = prog("draw_line(img, (0, 0), (0, 5), img[0, 0])")
    assert description_length(read) < description_length(literal)
    assert description_length(read).reads == 1
    assert "most_common_color" in READERS  # the DSL's colour readers are known
    hard = prog("img = recolor(img, 5, 0)")
    reader = prog("img = recolor(img, 5, most_common_color(img))")
    assert description_length(hard).size == description_length(reader).size == 3
    assert description_length(reader) < description_length(hard)
    register_readers(["count_cells"])
    try:
        assert description_length(prog("img = upscale(img, count_cells(img))")).reads == 1
    finally:
        READERS.discard("count_cells")


def test_docstrings_and_bools_are_free_and_garbage_is_last():
    doc = 'def task(img):\n    """Paint a cell."""\n    draw_pixel(img, (0, 0), True)\n    return img\n'
    assert description_length(doc) == Length(3, 0)
    assert description_length("def task(img) return") == UNPARSABLE
