"""Compiled kernels of the ``.skeleton`` reader (:mod:`hypergcn.data.ntu_skeleton`): a whole file in one
pass, and x, y, z of given joint lines.

Numbers are converted exactly: an integer mantissa below 2**53 scaled by an exact power of ten (10^0 ..
10^22) with one IEEE multiplication or division is the correctly rounded double (Clinger's fast path), the
same value ``strtod``/``float`` give. Any line the kernel does not accept (another number format, more than
15 significant digits, other spacing, not 12 values) stops it, and the caller uses the exact path.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_POW10 = 10.0 ** np.arange(23)


@njit(cache=True, nogil=True)
def _xyz_line(buf, p, out, row, values_per_line):  # pragma: no cover - compiled
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
                if mantissa > 900719925474099:  # keep mantissa * 10 + 9 < 2**53
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
    count, p = _count_rest(buf, p)
    if count != values_per_line - 3:
        return -1
    return p


@njit(cache=True, nogil=True)
def xyz_kernel(buf, starts, values_per_line, out):  # pragma: no cover - compiled
    """Fill ``out[i, :3]`` from the line starting at byte ``starts[i]``; return the lines done (== n if all).

    A line is ``values_per_line`` tokens separated by single spaces, ending at LF, CRLF or the buffer end.
    """
    for i in range(len(starts)):
        if _xyz_line(buf, starts[i], out, i, values_per_line) < 0:
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


@njit(cache=True, nogil=True)
def _count_rest(buf, p):  # pragma: no cover - compiled
    """Values from ``p`` to the end of the line (single spaces between them): (count, position after the line).

    ``p`` must be just after a space; returns (-1, p) on other whitespace or an empty value.
    """
    size = len(buf)
    count = 0
    in_token = False
    while p < size and buf[p] != 10:
        c = buf[p]
        if c == 13 and (p + 1 == size or buf[p + 1] == 10):
            p += 1
            break
        if c <= 32:
            if c != 32 or not in_token:
                return -1, p
            in_token = False
        elif not in_token:
            in_token = True
            count += 1
        p += 1
    if not in_token:
        return -1, p
    if p < size:
        p += 1  # the LF
    return count, p


@njit(cache=True, nogil=True)
def file_kernel(buf, body_values, joints_per_body, values_per_line):  # pragma: no cover - compiled
    """A whole file in the plain Kinect layout, or a failure the exact Python reader then explains.

    Returns (failed line (0-based, -1 if none), frames declared, valid frames, bodyID per body block
    (uint64), valid-frame index per block, 0-based line of each block's body line, xyz (blocks * joints, 3)).
    """
    size = len(buf)
    # a body block is at least 25 joint lines of at least 2 * values_per_line bytes
    capacity = size // (joints_per_body * 2 * values_per_line) + 1
    ids = np.empty(capacity, dtype=np.uint64)
    valid_of = np.empty(capacity, dtype=np.int32)
    line_of = np.empty(capacity, dtype=np.int32)
    xyz = np.empty((capacity * joints_per_body, 3), dtype=np.float64)
    blocks = 0
    line = 0
    frames, p = _int_line(buf, 0)
    if frames <= 0:
        return 0, 0, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
    line = 1
    valid = -1
    for _ in range(frames):
        bodies, p = _int_line(buf, p)
        if bodies < 0:
            return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
        line += 1
        if bodies == 0:
            continue
        valid += 1
        first = blocks
        for _ in range(bodies):
            if blocks >= capacity:
                return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
            # bodyID: digits without a leading zero (so that equal numbers are equal strings), < 2**63
            body_id = 0
            digits = 0
            while p < size and 48 <= buf[p] <= 57:
                if digits == 18 or (digits == 1 and body_id == 0):
                    return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
                body_id = body_id * 10 + (buf[p] - 48)
                digits += 1
                p += 1
            if digits == 0 or p >= size or buf[p] != 32:
                return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
            count, p = _count_rest(buf, p + 1)
            if count != body_values - 1:
                return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
            for k in range(first, blocks):
                if ids[k] == body_id:
                    return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
            ids[blocks] = body_id
            valid_of[blocks] = valid
            line_of[blocks] = line
            line += 1
            joints, p = _int_line(buf, p)
            if joints != joints_per_body:
                return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
            line += 1
            for j in range(joints_per_body):
                if p >= size:
                    return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
                p = _xyz_line(buf, p, xyz, blocks * joints_per_body + j, values_per_line)
                if p < 0:
                    return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
                line += 1
            blocks += 1
    while p < size:  # only whitespace after the declared frames
        if buf[p] > 32:
            return line, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
        p += 1
    if valid < 0:
        return 0, frames, 0, ids[:0], valid_of[:0], line_of[:0], xyz[:0]
    return (
        -1,
        frames,
        valid + 1,
        ids[:blocks],
        valid_of[:blocks],
        line_of[:blocks],
        xyz[: blocks * joints_per_body],
    )
