"""A plain scalar implementation of SPARQ.md, written separately from golden.sparq.

Ints and loops only, following the spec's wording step by step, so that the
vectorized golden model is checked against an independent reading of the spec.
"""

N_ACT = 8


def window(x: int, n: int, shifts, rounding: bool) -> tuple[int, int]:
    """SPARQ.md section 3: (q, s) with approximation q << s."""
    s = min(sh for sh in shifts if x < 2 ** (sh + n))
    q = x >> s
    if rounding and s > 0:
        dropped = x % 2 ** s
        half = 2 ** (s - 1)
        if dropped > half or (dropped == half and q % 2 == 1):
            q += 1
        if q == 2 ** n:
            q = 2 ** n - 1
    return q, s


def lone_window(x: int, n: int, rounding: bool) -> tuple[int, int]:
    return window(x, 2 * n, list(range(N_ACT - 2 * n + 1)), rounding)


def approx_pair(x0: int, x1: int, n: int, shifts, rounding: bool) -> tuple[int, int]:
    """SPARQ.md section 4."""
    if x0 == 0 and x1 == 0:
        return 0, 0
    if x0 == 0 or x1 == 0:
        q, t = lone_window(x0 or x1, n, rounding)
        return (q << t, 0) if x0 else (0, q << t)
    (q0, s0), (q1, s1) = window(x0, n, shifts, rounding), window(x1, n, shifts, rounding)
    return q0 << s0, q1 << s1


def approx_vector(xs, n, shifts, rounding) -> list[int]:
    xs = list(xs) + [0] * (len(xs) % 2)
    out = []
    for j in range(0, len(xs), 2):
        out += approx_pair(xs[j], xs[j + 1], n, shifts, rounding)
    return out


def encode_pair(x0: int, x1: int, n: int, shifts, rounding: bool) -> int:
    """SPARQ.md section 6, slot A in the low bits, each slot data | idx | mux."""
    shifts = sorted(shifts)
    k = max(1, (len(shifts) - 1).bit_length())

    def slot(data, shift, mux):
        return data | shifts.index(shift) << n | mux << (n + k)

    if x0 and x1:
        (q0, s0), (q1, s1) = window(x0, n, shifts, rounding), window(x1, n, shifts, rounding)
        a, b = slot(q0, s0, 0), slot(q1, s1, 0)
    elif x0 or x1:
        q, t = lone_window(x0 or x1, n, rounding)
        upper, lower = slot(q >> n, t + n, 0), slot(q % 2 ** n, t, 1)
        a, b = (upper, lower) if x0 else (lower, upper)
    else:
        a = b = 0
    return a | b << (n + k + 1)


def wrap(v: int, width: int) -> int:
    v %= 2 ** width
    return v - 2 ** width if v >= 2 ** (width - 1) else v


def matmul(a, w, n, shifts, rounding, stc=False, acc_width=32):
    """Plain loops over output elements; with ``stc`` the pairs follow the non-zero weights."""
    M, K, N = len(a), len(w), len(w[0])
    out = [[0] * N for _ in range(M)]
    for i in range(M):
        for j in range(N):
            total = 0
            if not stc:
                xs = approx_vector(a[i], n, shifts, rounding)
                total = sum(xs[k] * w[k][j] for k in range(K))
            else:
                for g in range(0, K, 4):
                    ks = [k for k in range(g, min(g + 4, K)) if w[k][j] != 0]
                    xs = [a[i][k] for k in ks] + [0] * (2 - len(ks))
                    ws = [w[k][j] for k in ks] + [0] * (2 - len(ks))
                    p = approx_pair(xs[0], xs[1], n, shifts, rounding)
                    total += p[0] * ws[0] + p[1] * ws[1]
            out[i][j] = wrap(total, acc_width)
    return out
