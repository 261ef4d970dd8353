"""The sandbox's wire protocol: every message between the executor and its processes.

Three processes take part: the *caller* (:class:`solver.sandbox.executor.Executor`), the
*manager* it starts (a fresh interpreter running :func:`solver.sandbox.worker.manager_main`)
and the *workers* the manager forks. This module holds what they send each other: the
constants, the encoders and the decoders. The executor and the worker module both use it
and nothing else of each other's.

Start-up. The caller runs ``python -c "... manager_main(fd, config)"`` with one end of a
SOCK_SEQPACKET socket pair as ``fd`` and the manager's configuration as a JSON object
(:func:`encode_config`: timeout_s, memory_mb, isolate_network, empty_root, preload, uid,
gid). The manager preloads, tries the worker lock-down in a probe child, then reports
``ready``.

Control channel, caller <-> manager: one JSON object per packet
(:func:`encode_control` / :func:`decode_control`), always with an ``op``:
  manager -> caller  ready         root, netns, chroot (bools), chroot_error, error (a worker
                                   cannot lock itself down: the caller refuses to start),
                                   pid, chroot_dir
                     spawned       token, pid (answers spawn)
                     spawn_failed  token, error
                     exit          pid, signal, code (one of the two is null), killed (the
                                   caller had asked for the kill); sent whenever a worker
                                   ends, so the caller files them as they come
  caller -> manager  spawn         token; the worker's end of a fresh SOCK_STREAM socket
                                   pair travels with it as SCM_RIGHTS
                     kill          pid (SIGKILL to the worker and its process group)
                     quit          the manager kills its workers, removes its empty root and
                                   exits (so it does when the socket closes)

Worker channel, caller <-> one worker, on that socket. Every message is a frame: u32
length, then a body of that length whose first byte is the kind (all little-endian). The
encoders return whole frames, ready to write; the decoders take a body, kind included, as
:func:`read_frame` (blocking, the worker) and :func:`next_frame` (a buffer, the caller)
give it.
  worker -> caller   H hello       first, once its lock-down is done
                     R result      one per program, in the order of its chunk:
                                   u32 index, u8 status, f64 seconds, u16 k, k bytes of
                                   detail (ascii, at most MAX_DETAIL), then when the status
                                   is OK: u16 n, n grids (one per input, in order)
                     P poisoned    detail bytes: what the last program changed; the worker
                                   exits right after (the rest of its chunks is requeued)
  caller -> worker   I inputs      u8 input type (index in INPUT_TYPES), u8 k, k bytes of the
                                   entry point's name (ascii), u16 n, n grids; sent once per
                                   run, before that run's first chunk
                     C chunk       u32 n, then n x (u32 index, u32 k, k bytes of utf-8 source);
                                   the caller keeps at most two chunks outstanding per worker
                     Q quit        the worker exits (retired between runs)
  A grid is u8 h, u8 w, then h*w cell bytes, row by row.

How results travel. A status is a code (OK .. INVALID_OUTPUT, named by STATUS_NAMES) plus
an optional detail (an exception's class name, what made an output invalid); the caller
shows it as ``name:detail`` (:func:`status_text`). CRASH is never sent: the caller gives it
to the running program when the worker dies or breaks the protocol. Worker bytes are
untrusted (a program can write to its own socket), so :func:`decode_result` checks every
field before building anything and raises :class:`ProtocolError` naming the first problem;
:func:`next_frame` refuses a frame longer than any honest message (:func:`max_message`).

Functions here run inside workers next to untrusted programs: the builtins they call are
bound in this module (module globals are looked up before builtins) and the worker watches
this module's namespace like its own.
"""

from __future__ import annotations

import json
import struct
# Bound here so that a program replacing a builtin cannot break the encoders the worker
# calls after it (the same reason as in solver.sandbox.worker).
from builtins import EOFError, Exception, bytearray, bytes, float, len, min, range  # noqa: A004

# ---------------------------------------------------------------- constants

# Result status codes on the wire, and their names (the caller's status strings).
OK, SYNTAX_ERROR, NO_TASK, ERROR, TIMEOUT, MEMORY, CRASH, INVALID_OUTPUT = range(8)
STATUS_NAMES = ("ok", "syntax_error", "no_task", "error", "timeout", "memory", "crash",
                "invalid_output")

# How a program receives each input grid (the dialect's input type):
#   int8      a fresh int8 array indexed [row, col] (the drawing DSL's images)
#   int64     a fresh int64 array indexed [row, col]
#   int64_xy  a fresh int64 array indexed [x, y] = [col, row] (the transpose); the
#             program's output is read the same way and transposed back
#   list      a fresh list of row lists of ints
INPUT_TYPES = ("int8", "int64", "int64_xy", "list")

MAX_SIDE = 30  # grid sides are 1..MAX_SIDE
MAX_DETAIL = 200  # bytes of a status detail or a poisoning report
MAX_INPUTS = 0xFFFF  # input grids per run (a u16 count)

# Message kinds (a body's first byte).
MSG_HELLO, MSG_RESULT, MSG_POISONED = b"H", b"R", b"P"  # worker -> caller
MSG_INPUTS, MSG_CHUNK, MSG_QUIT = b"I", b"C", b"Q"  # caller -> worker

# Control operations (caller <-> manager).
OP_READY, OP_SPAWNED, OP_SPAWN_FAILED, OP_EXIT = "ready", "spawned", "spawn_failed", "exit"
OP_SPAWN, OP_KILL, OP_QUIT = "spawn", "kill", "quit"

FRAME = struct.Struct("<I")
RESULT_HEAD = struct.Struct("<IBdH")  # index, status, seconds, detail length
CHUNK_ITEM = struct.Struct("<II")  # index, source length
U16 = struct.Struct("<H")
U32 = struct.Struct("<I")

_CELLS_OK = bytes(range(10))
_ROWS = [None] + [struct.Struct(f"{w}B") for w in range(1, MAX_SIDE + 1)]


class ProtocolError(Exception):
    """Bytes from a worker that no honest worker sends; the message names the problem."""


# ---------------------------------------------------------------- framing


def frame(kind: bytes, body: bytes = b"") -> bytes:
    """One message: u32 length, then ``kind`` and ``body``."""
    return FRAME.pack(len(body) + 1) + kind + body


def read_frame(sock) -> bytes:
    """The next message's body (kind first) from a blocking socket; EOFError at its end."""
    (n,) = FRAME.unpack(_recv_exact(sock, 4))
    return _recv_exact(sock, n)


def _recv_exact(sock, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        b = sock.recv(min(n - got, 1 << 20))
        if not b:
            raise EOFError
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def next_frame(buf, pos: int, limit: int) -> tuple[bytes | None, int]:
    """The body of the complete message at ``buf[pos:]`` and the position after it, or
    (None, pos) while it is incomplete. ProtocolError if its length is 0 or over ``limit``
    (checked as soon as the length is there, before waiting for the rest)."""
    if len(buf) - pos < 4:
        return None, pos
    (n,) = FRAME.unpack_from(buf, pos)
    if n == 0 or n > limit:
        raise ProtocolError("oversized message")
    if len(buf) - pos - 4 < n:
        return None, pos
    return bytes(buf[pos + 4:pos + 4 + n]), pos + 4 + n


def max_result(n_inputs: int) -> int:
    """The length of the longest honest result body (kind byte excluded) for ``n_inputs``."""
    return RESULT_HEAD.size + MAX_DETAIL + 2 + n_inputs * (2 + MAX_SIDE * MAX_SIDE)


def max_message(n_inputs: int) -> int:
    """The longest frame the caller accepts from a worker in a run with ``n_inputs``."""
    return 64 + max_result(n_inputs)


# ---------------------------------------------------------------- grids


def pack_grid(h: int, w: int, cells: bytes) -> bytes:
    """A grid on the wire: u8 h, u8 w, then the h*w cells row by row."""
    return bytes((h, w)) + cells


def encode_grid(grid) -> bytes:
    """A checked grid (rows of ints 0..9, as :func:`solver.arc.grids.grid_problem` accepts)."""
    return bytes((len(grid), len(grid[0]))) + bytes(v for row in grid for v in row)


def decode_grids(body: bytes, pos: int, n_inputs: int, cache: dict) -> list:
    """Untrusted bytes -> grids (tuples of row tuples): a u16 count, which must be
    ``n_inputs``, then the grids up to the body's end. The same checks as
    :func:`solver.arc.grids.grid_problem`, in the same order, on the wire format: the count,
    then each grid's sides (1..30) before any cell is read, then the exact length, then
    every cell in 0..9; only then are rows built. (Running grid_problem again on the tuples
    built here would re-check what their construction guarantees, at 8 us a grid, most of
    the caller's cost per program.) ``cache`` maps wire bytes to grids already built."""
    if len(body) < pos + 2:
        raise ProtocolError("short outputs")
    (n,) = U16.unpack_from(body, pos)
    pos += 2
    if n != n_inputs:
        raise ProtocolError(f"{n} outputs for {n_inputs} inputs")
    grids = []
    for _ in range(n):
        if len(body) < pos + 2:
            raise ProtocolError("short grid")
        h, w = body[pos], body[pos + 1]
        if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
            raise ProtocolError(f"grid side {h}x{w}")
        end = pos + 2 + h * w
        if end > len(body):
            raise ProtocolError("short grid")
        raw = body[pos:end]
        grid = cache.get(raw)
        if grid is None:
            cells = raw[2:]
            if cells.translate(None, _CELLS_OK):
                raise ProtocolError("cell outside 0..9")
            grid = tuple(_ROWS[w].iter_unpack(cells))
            cache[raw] = grid
        grids.append(grid)
        pos = end
    if pos != len(body):
        raise ProtocolError("trailing bytes")
    return grids


# ---------------------------------------------------------------- caller -> worker


def encode_inputs(input_type: str, entry: str, grids) -> bytes:
    """The ``I`` message: how programs get the inputs, their entry point, checked grids."""
    name = entry.encode("ascii")
    body = (bytes((INPUT_TYPES.index(input_type), len(name))) + name + U16.pack(len(grids))
            + b"".join(encode_grid(g) for g in grids))
    return frame(MSG_INPUTS, body)


def decode_inputs(body: bytes) -> tuple[str, str, list[tuple[int, int, bytes]]]:
    """``I`` body -> (input type, entry point, [(h, w, cells), ...]); the caller is trusted."""
    kind, k = body[1], body[2]
    entry = body[3:3 + k].decode("ascii", "replace")
    (n,) = U16.unpack_from(body, 3 + k)
    pos, grids = 5 + k, []
    for _ in range(n):
        h, w = body[pos], body[pos + 1]
        grids.append((h, w, body[pos + 2:pos + 2 + h * w]))
        pos += 2 + h * w
    return INPUT_TYPES[kind], entry, grids


def encode_chunk(items) -> bytes:
    """The ``C`` message: (index, utf-8 source) pairs, run in this order."""
    body = bytearray(MSG_CHUNK + U32.pack(0))
    n = 0
    for index, src in items:
        body += CHUNK_ITEM.pack(index, len(src))
        body += src
        n += 1
    U32.pack_into(body, 1, n)
    return FRAME.pack(len(body)) + body


def decode_chunk(body: bytes) -> list[tuple[int, str]]:
    """``C`` body -> [(index, source), ...] (bad utf-8 replaced, as the source compiles)."""
    (n,) = U32.unpack_from(body, 1)
    pos, items = 5, []
    for _ in range(n):
        index, k = CHUNK_ITEM.unpack_from(body, pos)
        pos += CHUNK_ITEM.size
        items.append((index, body[pos:pos + k].decode("utf-8", "replace")))
        pos += k
    return items


QUIT = frame(MSG_QUIT)  # the ``Q`` message


# ---------------------------------------------------------------- worker -> caller


HELLO = frame(MSG_HELLO)  # the ``H`` message


def encode_result(index: int, status: int, seconds: float, detail: bytes = b"",
                  outputs=None) -> bytes:
    """The ``R`` message: a status code, its detail (cut to MAX_DETAIL bytes) and, when
    OK, the encoded output grids (:func:`pack_grid`), one per input."""
    detail = detail[:MAX_DETAIL]
    body = MSG_RESULT + RESULT_HEAD.pack(index, status, seconds, len(detail)) + detail
    if status == OK:
        body += U16.pack(len(outputs)) + b"".join(outputs)
    return FRAME.pack(len(body)) + body


def decode_result(body: bytes, expected_index: int, n_inputs: int, cache: dict
                  ) -> tuple[int, int, float, str, list | None]:
    """Untrusted ``R`` body -> (index, status, seconds, detail, outputs): the result of
    program ``expected_index`` (results come in chunk order), outputs None unless OK,
    seconds 0.0 when not a number or negative. ProtocolError names the first problem."""
    if len(body) < 1 + RESULT_HEAD.size:
        raise ProtocolError("short result")
    index, status, seconds, k = RESULT_HEAD.unpack_from(body, 1)
    if index != expected_index:
        raise ProtocolError("result out of order")
    if status >= len(STATUS_NAMES) or status == CRASH or k > MAX_DETAIL:
        raise ProtocolError("bad status")
    pos = 1 + RESULT_HEAD.size
    detail = body[pos:pos + k].decode("ascii", "replace")
    if len(detail) != k:
        raise ProtocolError("short detail")
    pos += k
    outputs = None
    if status == OK:
        outputs = decode_grids(body, pos, n_inputs, cache)
    elif pos != len(body):
        raise ProtocolError("trailing bytes")
    if not (seconds == seconds) or seconds < 0:  # NaN or negative
        seconds = 0.0
    return index, status, float(seconds), detail, outputs


def status_text(status: int, detail: str = "") -> str:
    """A status as the caller shows it: its name, then ``:detail`` when there is one."""
    return STATUS_NAMES[status] + (f":{detail}" if detail else "")


def encode_poisoned(what: str) -> bytes:
    """The ``P`` message: what the last program changed (ascii, at most MAX_DETAIL)."""
    return frame(MSG_POISONED, what.encode("ascii", "replace")[:MAX_DETAIL])


def decode_poisoned(body: bytes) -> str:
    """``P`` body -> what the worker reported changed."""
    return body[1:1 + MAX_DETAIL].decode("ascii", "replace")


# ---------------------------------------------------------------- caller <-> manager


def encode_config(cfg: dict) -> str:
    """The manager's configuration, as its command line carries it."""
    return json.dumps(cfg)


def decode_config(text: str) -> dict:
    return json.loads(text)


def encode_control(op: str, **fields) -> bytes:
    """One control packet: ``{"op": op, **fields}`` as JSON."""
    return json.dumps({"op": op, **fields}).encode()


def decode_control(data: bytes) -> dict:
    """A control packet -> its object (ValueError when it is not JSON)."""
    return json.loads(data)
