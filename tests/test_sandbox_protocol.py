"""The sandbox's wire protocol (solver.sandbox.protocol): every message survives its round
trip, and the caller's decoders refuse what no honest worker sends. No processes here
except one socket pair."""

from __future__ import annotations

import ast
import math
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from solver.sandbox import protocol as P
from solver.sandbox.worker import _transposed, encode_output


def body_of(message: bytes) -> bytes:
    """The one frame in ``message``, checked whole, without its length."""
    body, end = P.next_frame(message, 0, len(message))
    assert body is not None and end == len(message)
    return body


def grid(h: int, w: int, seed: int = 0) -> tuple:
    return tuple(tuple((seed + r * 7 + c * 3) % 10 for c in range(w)) for r in range(h))


GRIDS = [grid(1, 1), grid(2, 3, 1), grid(30, 30, 2), grid(1, 30, 3), grid(30, 1, 4)]


# ---------------------------------------------------------------- results


def test_every_status_round_trips():
    cache: dict = {}
    for status, name in enumerate(P.STATUS_NAMES):
        if status == P.CRASH:
            continue  # never sent by a worker: see below
        outputs = [P.encode_grid(g) for g in GRIDS] if status == P.OK else None
        detail = b"" if status in (P.OK, P.TIMEOUT) else b"ZeroDivisionError"
        msg = P.encode_result(7 + status, status, 0.125, detail, outputs)
        assert msg[4:5] == P.MSG_RESULT
        idx, got, seconds, text, grids = P.decode_result(body_of(msg), 7 + status, len(GRIDS),
                                                         cache)
        assert (idx, got, seconds, text) == (7 + status, status, 0.125, detail.decode())
        assert grids == (GRIDS if status == P.OK else None)
        want = name + (":ZeroDivisionError" if detail else "")
        assert P.status_text(got, text) == want


def test_result_edge_cases():
    one = [P.encode_grid(grid(1, 1))]

    def trip(*args, n_inputs=1, expected=3):
        return P.decode_result(body_of(P.encode_result(*args)), expected, n_inputs, {})

    # the longest detail passes whole; a longer one is cut to MAX_DETAIL
    long = b"x" * P.MAX_DETAIL
    assert trip(3, P.INVALID_OUTPUT, 0.0, long)[3] == long.decode()
    assert trip(3, P.ERROR, 0.0, long + b"yz")[3] == long.decode()
    # detail with non-ascii bytes: one replacement character each, nothing lost or shifted
    assert trip(3, P.ERROR, 0.0, b"caf\xe9")[3] == "caf\ufffd"
    # nonsense times become 0.0, big ones survive
    assert trip(3, P.OK, float("nan"), b"", one)[2] == 0.0
    assert trip(3, P.OK, -1.0, b"", one)[2] == 0.0
    assert trip(3, P.TIMEOUT, 1e9)[2] == 1e9
    assert math.isinf(trip(3, P.TIMEOUT, float("inf"))[2])
    # the highest index, and one input per possible count up to many
    assert trip(2**32 - 1, P.NO_TASK, 0.0, b"transform", expected=2**32 - 1)[:4] == (
        2**32 - 1, P.NO_TASK, 0.0, "transform")
    many = [P.encode_grid(grid(30, 30, i)) for i in range(50)]
    _, _, _, _, grids = trip(3, P.OK, 0.0, b"", many, n_inputs=50)
    assert grids == [grid(30, 30, i) for i in range(50)]


def test_the_largest_honest_result_fits_the_frame_limit():
    for n in (1, 4, 10):
        msg = P.encode_result(0, P.OK, 1.0, b"", [P.encode_grid(grid(30, 30))] * n)
        assert len(msg) - 4 <= P.max_message(n)
        msg = P.encode_result(0, P.ERROR, 1.0, b"x" * 500)
        assert len(msg) - 4 <= P.max_message(n)


def test_forged_results_are_refused():
    ok = P.encode_result(5, P.OK, 0.5, b"", [P.encode_grid(grid(2, 2))])
    good = body_of(ok)
    assert P.decode_result(good, 5, 1, {})[4] == [grid(2, 2)]
    head = P.RESULT_HEAD
    bad = {
        "short result": good[:5],
        "result out of order": good,  # expected 6 below
        "bad status": P.MSG_RESULT + head.pack(5, P.CRASH, 0.0, 0),
        "bad status ": P.MSG_RESULT + head.pack(5, len(P.STATUS_NAMES), 0.0, 0),
        "bad status  ": P.MSG_RESULT + head.pack(5, P.ERROR, 0.0, P.MAX_DETAIL + 1)
        + b"x" * (P.MAX_DETAIL + 1),
        "short detail": P.MSG_RESULT + head.pack(5, P.ERROR, 0.0, 10) + b"abc",
        "trailing bytes": P.MSG_RESULT + head.pack(5, P.ERROR, 0.0, 3) + b"abc!",
        "2 outputs for 1 inputs": P.MSG_RESULT + head.pack(5, P.OK, 0.0, 0)
        + struct.pack("<H", 2) + P.encode_grid(grid(1, 1)) * 2,
    }
    for want, body in bad.items():
        with pytest.raises(P.ProtocolError) as e:
            P.decode_result(body, 6 if want == "result out of order" else 5, 1, {})
        assert str(e.value) == want.strip()


def test_forged_grids_are_refused():
    def raw(h, w, cells):
        return bytes((h, w)) + bytes(cells)

    good = struct.pack("<H", 1) + raw(2, 2, [1, 2, 3, 4])
    assert P.decode_grids(good, 0, 1, {}) == [((1, 2), (3, 4))]
    bad = {
        "2 outputs for 1 inputs": struct.pack("<H", 2) + raw(1, 1, [1]),
        "grid side 31x1": struct.pack("<H", 1) + raw(31, 1, [0] * 31),
        "grid side 0x5": struct.pack("<H", 1) + raw(0, 5, []),
        "cell outside 0..9": struct.pack("<H", 1) + raw(1, 2, [1, 10]),
        "short grid": struct.pack("<H", 1) + raw(3, 3, [1, 2]),
        "trailing bytes": good + b"\x00",
        "short outputs": b"",
    }
    for want, body in bad.items():
        with pytest.raises(P.ProtocolError, match=f"^{want}$"):
            P.decode_grids(body, 0, 1, {})


def test_grid_cache_is_shared_and_checked_first():
    cache: dict = {}
    body = struct.pack("<H", 2) + P.encode_grid(grid(3, 4)) * 2
    a, b = P.decode_grids(body, 0, 2, cache)
    assert a is b and len(cache) == 1
    assert P.decode_grids(body, 0, 2, cache)[0] is a


# ---------------------------------------------------------------- caller -> worker


@pytest.mark.parametrize("input_type", P.INPUT_TYPES)
def test_inputs_round_trip(input_type):
    entry = "transform" if input_type != "int8" else "task"
    got_type, got_entry, grids = P.decode_inputs(body_of(P.encode_inputs(input_type, entry,
                                                                         GRIDS)))
    assert (got_type, got_entry) == (input_type, entry)
    assert [tuple(tuple(cells[r * w:(r + 1) * w]) for r in range(h))
            for h, w, cells in grids] == GRIDS


def test_inputs_at_the_limits():
    entry = "e" * 63  # the longest entry name the executor accepts
    many = [grid(1, 1, i) for i in range(P.MAX_INPUTS)]
    _, got_entry, grids = P.decode_inputs(body_of(P.encode_inputs("list", entry, many)))
    assert got_entry == entry and len(grids) == P.MAX_INPUTS
    assert grids[-1] == (1, 1, bytes((many[-1][0][0],)))
    _, _, none = P.decode_inputs(body_of(P.encode_inputs("int8", "task", [])))
    assert none == []


def test_chunk_round_trip():
    items = [(0, b"def task(img):\n    return img\n"), (2**32 - 1, b""),
             (17, "# caf\u00e9 \u2603\n".encode()), (3, b"#" * 300_000 + b"\n"),
             (4, b"bad utf-8 \xff\n")]
    got = P.decode_chunk(body_of(P.encode_chunk(items)))
    assert got[:4] == [(i, src.decode()) for i, src in items[:4]]
    assert got[4] == (4, "bad utf-8 \ufffd\n")
    assert P.decode_chunk(body_of(P.encode_chunk([]))) == []
    assert P.decode_chunk(body_of(P.encode_chunk(iter(items[:1])))) == [(0, items[0][1].decode())]


def test_bare_messages():
    assert body_of(P.QUIT) == P.MSG_QUIT
    assert body_of(P.HELLO) == P.MSG_HELLO
    assert P.frame(b"Z", b"abc") == struct.pack("<I", 4) + b"Zabc"
    msg = P.encode_poisoned("module numpy")
    assert body_of(msg)[:1] == P.MSG_POISONED and P.decode_poisoned(body_of(msg)) == "module numpy"
    assert P.decode_poisoned(body_of(P.encode_poisoned("\u00e9" + "x" * 500))) == (
        "?" + "x" * (P.MAX_DETAIL - 1))


# ---------------------------------------------------------------- framing


def test_next_frame_waits_for_whole_messages_and_refuses_oversized_ones():
    stream = P.HELLO + P.encode_result(1, P.OK, 0.0, b"", [P.encode_grid(grid(30, 30))]) + P.QUIT
    buf, pos, bodies = bytearray(), 0, []
    for byte in stream:  # one byte at a time, as a slow socket could deliver them
        buf.append(byte)
        while True:
            body, pos = P.next_frame(buf, pos, P.max_message(1))
            if body is None:
                break
            bodies.append(body)
    assert pos == len(stream)
    assert [b[:1] for b in bodies] == [P.MSG_HELLO, P.MSG_RESULT, P.MSG_QUIT]
    assert P.decode_result(bodies[1], 1, 1, {})[4] == [grid(30, 30)]
    # refused as soon as the length is in, without waiting for the body
    with pytest.raises(P.ProtocolError, match="oversized message"):
        P.next_frame(struct.pack("<I", P.max_message(1) + 1), 0, P.max_message(1))
    with pytest.raises(P.ProtocolError, match="oversized message"):
        P.next_frame(struct.pack("<I", 0), 0, P.max_message(1))
    assert P.next_frame(b"\x05\x00", 0, 100) == (None, 0)


def test_read_frame_over_a_socket():
    a, b = socket.socketpair()
    big = P.encode_chunk([(1, b"#" * (3 << 20))])  # several recv calls
    sender = threading.Thread(target=lambda: (a.sendall(P.HELLO + big), a.close()))
    sender.start()
    try:
        assert P.read_frame(b) == P.MSG_HELLO
        assert P.decode_chunk(P.read_frame(b)) == [(1, "#" * (3 << 20))]
        with pytest.raises(EOFError):
            P.read_frame(b)
    finally:
        sender.join()
        b.close()


# ---------------------------------------------------------------- caller <-> manager


def test_control_and_config_round_trip():
    for op, fields in [(P.OP_READY, {"root": True, "netns": False, "chroot": True, "pid": 12,
                                     "chroot_dir": "/tmp/x", "chroot_error": "EPERM"}),
                       (P.OP_SPAWN, {"token": 3}), (P.OP_SPAWNED, {"token": 3, "pid": 99}),
                       (P.OP_SPAWN_FAILED, {"token": 3, "error": "no socket"}),
                       (P.OP_EXIT, {"pid": 99, "signal": 11, "code": None, "killed": False}),
                       (P.OP_KILL, {"pid": 99}), (P.OP_QUIT, {})]:
        assert P.decode_control(P.encode_control(op, **fields)) == {"op": op, **fields}
    assert P.encode_control(P.OP_QUIT) == b'{"op": "quit"}'
    cfg = {"timeout_s": 0.25, "memory_mb": 512, "isolate_network": True, "empty_root": False,
           "preload": ["scipy.ndimage"], "uid": 65534, "gid": 65534}
    assert P.decode_config(P.encode_config(cfg)) == cfg


# ---------------------------------------------------------------- the worker's side


def test_worker_output_encoding_decodes_back():
    g = grid(5, 7)
    for out in (np.array(g, dtype=np.int8), np.array(g, dtype=np.int64), [list(r) for r in g],
                g, [np.array(r) for r in g]):
        assert P.decode_grids(struct.pack("<H", 1) + encode_output(out, np), 0, 1, {}) == [g]
    xy = _transposed(encode_output(np.array(g, dtype=np.int64), np), np)
    assert P.decode_grids(struct.pack("<H", 1) + xy, 0, 1, {}) == [tuple(zip(*g))]


def test_executor_and_worker_share_only_the_protocol():
    sandbox = Path(P.__file__).parent
    for name, other in (("executor", "worker"), ("worker", "executor")):
        tree = ast.parse((sandbox / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module != f"solver.sandbox.{other}", name
                assert not (node.module == "solver.sandbox"
                            and any(a.name == other for a in node.names)), name
