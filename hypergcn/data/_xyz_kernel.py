"""Compiled kernels of the data stages (numba): the ``.skeleton`` reader's (:mod:`hypergcn.data.ntu_skeleton`:
a whole file in one pass, and x, y, z of given joint lines) and the benchmark-chunk encoder
(:class:`hypergcn.data.build.ChunkPacker`).

Numbers are converted exactly: an integer mantissa below 2**53 scaled by an exact power of ten (10^0 ..
10^22) with one IEEE multiplication or division is the correctly rounded double (Clinger's fast path), the
same value ``strtod``/``float`` give. Any line the kernel does not accept (another number format, 16 or more
significant digits, other spacing, not 12 values) stops it, and the caller uses the exact path.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_POW10 = 10.0 ** np.arange(23)
_MAX_MANTISSA = (2**53 - 10) // 10  # mantissa * 10 + 9 stays below 2**53, exact in a double


@njit(cache=True, nogil=True)
def _xyz_line(buf, words, p, out, row, values_per_line):  # pragma: no cover - compiled
    """Parse x, y, z of the line starting at ``p`` into ``out[row]``; return the position after the line,
    or -1 if the line is not ``values_per_line`` plain numbers separated by single spaces."""
    pow10 = _POW10
    size = len(buf)
    for v in range(3):
        negative = False
        if p < size and (buf[p] == 45 or buf[p] == 43):
            negative = buf[p] == 45
            p += 1
        mantissa = 0
        digits = 0
        fraction = 0
        seen_dot = False
        while p < size:
            c = buf[p]
            if 48 <= c <= 57:
                if mantissa > _MAX_MANTISSA:
                    return -1
                mantissa = mantissa * 10 + (c - 48)
                digits += 1
                if seen_dot:
                    fraction += 1
            elif c == 46 and not seen_dot:
                seen_dot = True
            else:
                break
            p += 1
        if digits == 0:
            return -1
        exponent = 0
        if p < size and (buf[p] == 101 or buf[p] == 69):
            p += 1
            exp_negative = False
            if p < size and (buf[p] == 45 or buf[p] == 43):
                exp_negative = buf[p] == 45
                p += 1
            exp_digits = 0
            while p < size and 48 <= buf[p] <= 57 and exp_digits < 4:
                exponent = exponent * 10 + (buf[p] - 48)
                exp_digits += 1
                p += 1
            if exp_digits == 0 or (p < size and 48 <= buf[p] <= 57):
                return -1
            if exp_negative:
                exponent = -exponent
        power = exponent - fraction
        if power < -22 or power > 22:
            return -1
        value = mantissa * pow10[power] if power >= 0 else mantissa / pow10[-power]
        out[row, v] = -value if negative else value
        if p >= size or buf[p] != 32:  # exactly one space before the next value
            return -1
        p += 1
    count, p = _count_rest(buf, words, p)
    if count != values_per_line - 3:
        return -1
    return p


@njit(cache=True, nogil=True)
def xyz_kernel(buf, starts, values_per_line, out):  # pragma: no cover - compiled
    """Fill ``out[i, :3]`` from the line starting at byte ``starts[i]``; return the lines done (== n if all).

    A line is ``values_per_line`` tokens separated by single spaces, ending at LF, CRLF or the buffer end.
    """
    words = buf[: len(buf) // 8 * 8].view(np.uint64)
    for i in range(len(starts)):
        if _xyz_line(buf, words, starts[i], out, i, values_per_line) < 0:
            return i
    return len(starts)


@njit(cache=True, nogil=True)
def _int_line(buf, p):  # pragma: no cover - compiled
    """A line holding one unsigned integer: (value, position after the line) or (-1, p)."""
    size = len(buf)
    value = 0
    digits = 0
    while p < size and 48 <= buf[p] <= 57 and digits < 9:
        value = value * 10 + (buf[p] - 48)
        digits += 1
        p += 1
    if digits == 0:
        return -1, p
    if p < size and buf[p] == 13:
        p += 1
    if p < size:
        if buf[p] != 10:
            return -1, p
        p += 1
    return value, p


# Byte masks of 8 bytes at a time (SWAR): the high bit of each byte of a mask says whether that byte is
# equal to a value (``_equal``) or below 33 (a space or control byte); counting the flagged bytes is one
# multiplication. Little-endian: byte i of a word is bits 8i..8i+7.
_HIGH = np.uint64(0x8080808080808080)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_ONES = np.uint64(0x0101010101010101)
_SPACES = np.uint64(0x2020202020202020)
_LFS = np.uint64(0x0A0A0A0A0A0A0A0A)
_BELOW33 = np.uint64(0x5F5F5F5F5F5F5F5F)  # 0x80 - 0x21
_U7 = np.uint64(7)
_U8 = np.uint64(8)
_U56 = np.uint64(56)
_U63 = np.uint64(63)


@njit(cache=True, nogil=True, inline="always")
def _equal(x, pattern):  # pragma: no cover - compiled
    """High bit set in each byte of ``x`` equal to the byte of ``pattern`` (exact: no carry between bytes)."""
    t = x ^ pattern
    return ~(((t & _LOW7) + _LOW7) | t | _LOW7)


@njit(cache=True, nogil=True, inline="always")
def _flagged(mask):  # pragma: no cover - compiled
    """How many bytes of a mask have their high bit set."""
    return np.int64(((mask >> _U7) * _ONES) >> _U56)


@njit(cache=True, nogil=True, inline="always")
def _count_bytes(buf, p, to_boundary, spaces, controls, starts, after_space):  # pragma: no cover - compiled
    """:func:`_count_rest`'s counts one byte at a time from ``p`` up to the LF (or, with ``to_boundary``, the
    next 8-byte boundary); returns the position reached and the updated counts."""
    size = len(buf)
    while p < size and not (to_boundary and (p & 7) == 0):
        c = buf[p]
        if c == 10:
            break
        spaces += c == 32
        controls += c < 33
        starts += (c > 32) & after_space
        after_space = c == 32
        p += 1
    return p, spaces, controls, starts, after_space


@njit(cache=True, nogil=True)
def _count_rest(buf, words, p):  # pragma: no cover - compiled
    """Values from ``p`` to the end of the line: (count, position after the line), or (-1, p) unless they are
    separated by single spaces with nothing else (a CR before the LF is fine). ``words`` is ``buf`` read as
    uint64 (its whole 8-byte words); ``p`` must be just after a space.

    The counts are branch-free: a branch per value boundary, as a character-class test would take, costs a
    misprediction every few bytes. Whole words between the line's first 8-byte boundary and its LF are
    counted 8 bytes at a time; the bytes before and after, one at a time. Both give the same counts
    (tests/test_ntu_parser.py fuzzes the two against each other).
    """
    size = len(buf)
    p, spaces, controls, starts, after_space = _count_bytes(buf, p, True, 0, 0, 0, 1)
    if p < size and buf[p] != 10:
        k = p >> 3
        carry = np.uint64(after_space)
        while k < len(words):
            x = words[k]
            if _equal(x, _LFS) != 0:
                break
            sp = _equal(x, _SPACES)
            ctl = ~(((x & _LOW7) + _BELOW33) | x | _LOW7)
            st = ~ctl & _HIGH & ((sp << _U8) | (carry << _U7))
            spaces += _flagged(sp)
            controls += _flagged(ctl)
            starts += _flagged(st)
            carry = sp >> _U63
            k += 1
        p, spaces, controls, starts, after_space = _count_bytes(
            buf, k << 3, False, spaces, controls, starts, np.int64(carry)
        )
    end = p
    if p < size:
        p += 1  # the LF
    last = buf[end - 1] if end > 0 else 0
    if last == 13 and end >= 2:  # CRLF: the CR ends the line
        controls -= 1
        last = buf[end - 2]
    if controls != spaces or last == 32 or starts != spaces + 1:
        return -1, p
    return starts, p


@njit(cache=True, nogil=True)
def _body(buf, words, p, ids, first, blocks, layout, xyz):  # pragma: no cover - compiled
    """One body from its body line at ``p``: bodyID into ``ids[blocks]``, joints into ``xyz``; returns the
    position after it, or -1 where the file leaves the plain layout (a bodyID repeated in the frame too).

    ``layout``: (values per body line, joints per body, values per joint line).
    """
    body_values, joints_per_body, values_per_line = layout
    size = len(buf)
    # bodyID: digits without a leading zero (so that equal numbers are equal strings), < 2**63
    body_id = 0
    digits = 0
    while p < size and 48 <= buf[p] <= 57:
        if digits == 18 or (digits == 1 and body_id == 0):
            return -1
        body_id = body_id * 10 + (buf[p] - 48)
        digits += 1
        p += 1
    if digits == 0 or p >= size or buf[p] != 32:
        return -1
    count, p = _count_rest(buf, words, p + 1)
    if count != body_values - 1:
        return -1
    for k in range(first, blocks):
        if ids[k] == body_id:
            return -1
    ids[blocks] = body_id
    joints, p = _int_line(buf, p)
    if joints != joints_per_body:
        return -1
    for j in range(joints_per_body):
        if p >= size:
            return -1
        p = _xyz_line(buf, words, p, xyz, blocks * joints_per_body + j, values_per_line)
        if p < 0:
            return -1
    return p


@njit(cache=True, nogil=True)
def file_kernel(buf, body_values, joints_per_body, values_per_line):  # pragma: no cover - compiled
    """A whole file in the plain Kinect layout, or a failure the exact Python reader then explains.

    Returns (failed: True -> use the exact reader, frames declared, valid frames, bodyID per body block
    (uint64), valid-frame index per block, 0-based line of each block's body line, xyz (blocks * joints, 3)).
    """
    size = len(buf)
    words = buf[: size // 8 * 8].view(np.uint64)
    # a body block is at least 25 joint lines of at least 2 * values_per_line bytes
    capacity = size // (joints_per_body * 2 * values_per_line) + 1
    ids = np.empty(capacity, dtype=np.uint64)
    valid_of = np.empty(capacity, dtype=np.int32)
    line_of = np.empty(capacity, dtype=np.int32)
    xyz = np.empty((capacity * joints_per_body, 3), dtype=np.float64)
    frames, p = _int_line(buf, 0)
    line, valid, blocks = 1, -1, 0
    failed = frames <= 0
    for _ in range(max(frames, 0)):
        bodies, p = _int_line(buf, p)
        line += 1
        if bodies <= 0:
            failed = bodies < 0
            if failed:
                break
            continue
        valid += 1
        first = blocks
        for _ in range(bodies):
            failed = blocks >= capacity
            if not failed:
                valid_of[blocks] = valid
                line_of[blocks] = line
                p = _body(
                    buf, words, p, ids, first, blocks, (body_values, joints_per_body, values_per_line), xyz
                )
                failed = p < 0
            if failed:
                break
            blocks += 1
            line += joints_per_body + 2
        if failed:
            break
    while not failed and p < size:  # only whitespace after the declared frames
        failed = buf[p] > 32
        p += 1
    if failed or valid < 0:
        return True, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
    n = blocks
    return False, frames, valid + 1, ids[:n], valid_of[:n], line_of[:n], xyz[: n * joints_per_body]


@njit(cache=True, nogil=True)
def body_motions(joints, lengths, out):  # pragma: no cover - compiled
    """``out[k]`` = the authors' motion of body k, ``np.sum(np.var(body.reshape(-1, 3), axis=0))`` in float32.

    ``joints`` (rows, 25, 3) float32 holds the bodies back to back, ``lengths[k]`` rows each. numpy computes
    that expression with float32 sums taken row after row (an axis-0 reduction of an (n, 3) array is
    sequential), the mean and the variance divided by n in float32, and the three variances added left to
    right; the same operations in the same order here give the same bits (tests/test_ntu_parser.py).
    """
    start = 0
    for k in range(len(lengths)):
        rows = joints[start : start + lengths[k]]
        n = np.float32(rows.shape[0] * rows.shape[1])
        total = np.float32(0.0)
        for c in range(3):
            acc = np.float32(0.0)
            for i in range(rows.shape[0]):
                for j in range(rows.shape[1]):
                    acc += rows[i, j, c]
            mean = acc / n
            acc = np.float32(0.0)
            for i in range(rows.shape[0]):
                for j in range(rows.shape[1]):
                    d = rows[i, j, c] - mean
                    acc += d * d
            total = total + acc / n if c else acc / n
        out[k] = total
        start += lengths[k]


# --------------------------------------------------------------------------------------------------------
# LZF stream of one benchmark-file chunk (the ``lzf`` filter of h5py decodes it).
#
# A chunk is (C, T, V, M) float32 with the frames after a sample's length all zero. The encoder works on
# 4-byte words and looks for repeats at two distances only: the previous word (the copied second actor,
# whose joints alternate with actor 1's in the M axis; zero padding) and the word before it (the empty
# second actor of a one-actor sample). That is what the general LZF compressor finds in these chunks too,
# at a fraction of its cost, since the zero padding needs no search: runs become 264-byte back-references.
# Stream format (liblzf): a control byte c < 32 starts c + 1 literal bytes; otherwise a back-reference of
# length (c >> 5) + 2 (7 -> one more length byte added), at distance ((c & 31) << 8 | next byte) + 1.

_LZF_MAX_LITERAL = 32
_LZF_MAX_MATCH_WORDS = 66  # 264 bytes, the longest back-reference


@njit(cache=True, nogil=True)
def _literals(words, start, stop, out, o):  # pragma: no cover - compiled
    """Write ``words[start:stop]`` as literal runs of up to 32 bytes; return the new output position."""
    while start < stop:
        n = min(stop - start, _LZF_MAX_LITERAL // 4)
        out[o] = 4 * n - 1
        o += 1
        for i in range(start, start + n):
            w = words[i]
            out[o] = w & 0xFF
            out[o + 1] = (w >> 8) & 0xFF
            out[o + 2] = (w >> 16) & 0xFF
            out[o + 3] = w >> 24
            o += 4
        start += n
    return o


@njit(cache=True, nogil=True)
def _reference(words, distance, out, o):  # pragma: no cover - compiled
    """A back-reference to ``words`` words ``distance`` words back; return the new output position."""
    length = 4 * words - 2  # the stream stores length - 2
    offset = 4 * distance - 1
    if length < 7:
        out[o] = (length << 5) | (offset >> 8)
        o += 1
    else:
        out[o] = (7 << 5) | (offset >> 8)
        out[o + 1] = length - 7
        o += 2
    out[o] = offset & 0xFF
    return o + 1


@njit(cache=True, nogil=True)
def _data_part(words, out, o):  # pragma: no cover - compiled
    """One plane's data words: literals, and back-references where a word repeats 1 or 2 words back."""
    n = len(words)
    literal = 0
    i = 2
    while i < n:
        w = words[i]
        if w == words[i - 1]:
            distance = 1
        elif w == words[i - 2]:
            distance = 2
        else:
            i += 1
            continue
        run = 1
        limit = min(_LZF_MAX_MATCH_WORDS, n - i)
        while run < limit and words[i + run] == words[i + run - distance]:
            run += 1
        o = _literals(words, literal, i, out, o)
        o = _reference(run, distance, out, o)
        i += run
        literal = i
    return _literals(words, literal, n, out, o)


@njit(cache=True, nogil=True)
def lzf_chunk(planes, padded, out):  # pragma: no cover - compiled
    """Encode the chunk whose plane ``c`` is ``planes[c]`` (uint32 words) followed by zeros up to ``padded``
    words into ``out``; return the stream's length in bytes.

    ``out`` must hold at least ``4 * planes.shape[0] * padded * 33 // 32 + 8`` bytes.
    """
    zero = np.zeros(1, dtype=np.uint32)
    o = 0
    for c in range(planes.shape[0]):
        words = planes[c]
        o = _data_part(words, out, o)
        pad = padded - len(words)
        if pad > 0 and (len(words) == 0 or words[-1] != 0):
            o = _literals(zero, 0, 1, out, o)  # a zero word to refer back to
            pad -= 1
        while pad > 0:
            run = min(pad, _LZF_MAX_MATCH_WORDS)
            o = _reference(run, 1, out, o)
            pad -= run
    return o


# Second-actor rules of :func:`sample_chunk` (what :func:`hypergcn.data.build.copies_second_actor` decides).
COPY_NEVER, COPY_IF_EMPTY, COPY_ALWAYS = 0, 1, 2


@njit(cache=True, nogil=True)
def _centre(flat, width, missing, copy_rule, planes):  # pragma: no cover - compiled
    """:func:`hypergcn.data.build.transform_ntu` of one sample into ``planes`` (C, T * V * M) float32, the
    chunk's layout; False if actor 1 has no non-zero frame (the build reports it)."""
    frames = flat.shape[0]
    first = -1
    for t in range(frames):
        for i in range(75):
            if flat[t, i] != 0:
                first = t
                break
        if first >= 0:
            break
    if first < 0:
        return False
    origin = flat[first, 3:6].copy()
    slot2_empty = True
    for t in range(frames):
        for v in range(25):
            for c in range(3):
                for m in range(2):
                    i = 75 * m + 3 * v + c
                    value = np.float32(0.0)
                    if i < width and not missing[t, m]:
                        value = flat[t, i] - origin[c]
                    if m == 1 and value != 0:
                        slot2_empty = False
                    planes[c, (t * 25 + v) * 2 + m] = value
    if copy_rule == COPY_ALWAYS or (copy_rule == COPY_IF_EMPTY and slot2_empty):
        for c in range(3):
            for k in range(0, frames * 50, 2):
                planes[c, k + 1] = planes[c, k]
    return True


@njit(cache=True, nogil=True)
def sample_chunk(flat, width, missing, copy_rule, padded, scratch, out):  # pragma: no cover - compiled
    """The lzf stream of one denoised sample's benchmark chunk: centred, masked, second actor filled, padded
    with zeros to ``padded`` words per plane (frames * V * M). ``flat`` (T, 150) float32, ``width`` 75 or
    150 (the authors' array), ``missing`` (T, 2) the rows whose sum was 0 before centring (150-wide only),
    ``scratch`` a float32 buffer of at least 3 * T * 50 values. Returns the stream's length, or -1 (not
    centrable)."""
    frames = flat.shape[0]
    used = scratch[: 3 * frames * 50].reshape(3, frames * 50)
    if not _centre(flat, width, missing, copy_rule, used):
        return -1
    return lzf_chunk(used.view(np.uint32), padded, out)
