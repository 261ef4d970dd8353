"""search.prune: deleting the lines that change no output."""

from search_helpers import EMPTY, HALF, RIGHT, prog, trusted_run

from solver.search.prune import prune_batch


def test_prune_batch_removes_only_lines_that_change_nothing():
    inputs = [EMPTY]
    run = trusted_run(inputs)
    overwritten = prog("draw_pixel(img, (0, 0), 7)", "draw_pixel(img, (0, 0), 3)",
                       "draw_pixel(img, (1, 1), 4)", "x = 5")
    dup = prog("draw_pixel(img, (0, 0), 3)", "draw_pixel(img, (0, 0), 3)")
    loop = "def task(img):\n    for i in range(2):\n        draw_pixel(img, (i, i), 3)\n    return img\n"
    commented = "def task(img):\n    # the corner\n    draw_pixel(img, (0, 0), 3)\n\n    return img\n"
    codes = [overwritten, dup, loop, RIGHT, commented]
    outs = run(codes)
    pruned = prune_batch(codes, outs, inputs, run)
    assert pruned[0] == RIGHT
    assert pruned[1] == HALF  # two duplicate lines: exactly one stays
    assert pruned[2] == loop  # removing a loop line breaks it: kept
    assert pruned[3] == RIGHT
    assert pruned[4] == HALF  # comments and blank lines go too
    assert run(pruned) == outs


def test_prune_batch_keeps_function_heads_and_what_helpers_need():
    inputs = [EMPTY]
    run = trusted_run(inputs)
    code = ("def task(img):\n    img = helper(img)\n    x = 1\n    return img\n"
            "def helper(img):\n    draw_pixel(img, (0, 0), 3)\n    y = 2\n    return img\n")
    outs = run([code])
    assert prune_batch([code], outs, inputs, run) == [
        "def task(img):\n    img = helper(img)\n    return img\n"
        "def helper(img):\n    draw_pixel(img, (0, 0), 3)\n    return img\n"]
