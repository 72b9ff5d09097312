"""Minimum-cost assignment (the Hungarian algorithm, Kuhn 1955 with Jonker-Volgenant style
potentials), and matching with a cost limit as ByteTrack does with `lap.lapjv(cost_limit)`:
a pair costing more than the limit is never made, and leaving both sides unmatched is
preferred to pairs whose total costs more than that. Written here because scipy is not a
dependency and the matrices are small (tracks × detections of one camera frame)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Costs = npt.NDArray[np.float64]


def hungarian(cost: Costs) -> list[tuple[int, int]]:
    """The (row, column) pairs of a minimum-cost assignment of every row or every column,
    whichever is fewer."""
    if cost.size == 0:
        return []
    if cost.shape[0] > cost.shape[1]:
        return sorted((r, c) for c, r in hungarian(cost.T))
    column_of_row = _shortest_augmenting_paths(np.asarray(cost, dtype=np.float64))
    return [(r, c) for r, c in enumerate(column_of_row)]


def _shortest_augmenting_paths(cost: Costs) -> list[int]:
    """Rows ≤ columns: each row's column, by one shortest augmenting path per row with dual
    potentials u (rows) and v (columns); index 0 of the column arrays is a virtual column."""
    rows, columns = cost.shape
    u = np.zeros(rows + 1)
    v = np.zeros(columns + 1)
    owner = np.zeros(columns + 1, dtype=np.intp)  # the row (1-based) holding each column
    for row in range(1, rows + 1):
        owner[0] = row
        way = np.zeros(columns + 1, dtype=np.intp)
        slack = np.full(columns + 1, np.inf)
        used = np.zeros(columns + 1, dtype=bool)
        column = 0
        while owner[column]:
            used[column] = True
            current = owner[column]
            reduced = cost[current - 1] - u[current] - v[1:]
            free = ~used[1:]
            better = free & (reduced < slack[1:])
            slack[1:][better] = reduced[better]
            way[1:][better] = column
            candidates = np.where(free, slack[1:], np.inf)
            nearest = int(np.argmin(candidates)) + 1
            delta = candidates[nearest - 1]
            u[owner[used]] += delta
            v[used] -= delta
            slack[1:][free] -= delta
            column = nearest
        while column:  # flip the path's pairs
            previous = way[column]
            owner[column] = owner[previous]
            column = previous
    column_of_row = [0] * rows
    for column in range(1, columns + 1):
        if owner[column]:
            column_of_row[owner[column] - 1] = column - 1
    return column_of_row


def match(cost: Costs, limit: float) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pairs of least total cost, none over limit, and the rows and columns left unmatched.

    The matrix is extended as lapjv's `extend_cost` does: each row and each column may
    instead go to a dummy at limit / 2, so a pair is made only where it beats leaving both."""
    rows, columns = cost.shape
    if rows == 0 or columns == 0:
        return [], list(range(rows)), list(range(columns))
    big = limit * 4 + float(np.nanmax(np.where(np.isfinite(cost), cost, 0))) + 1.0
    size = rows + columns
    extended = np.full((size, size), limit / 2)
    extended[:rows, :columns] = np.where(cost <= limit, cost, big)
    extended[rows:, columns:] = 0.0
    pairs = [(r, c) for r, c in hungarian(extended) if r < rows and c < columns]
    pairs = [(r, c) for r, c in pairs if cost[r, c] <= limit]
    matched_rows = {r for r, _ in pairs}
    matched_columns = {c for _, c in pairs}
    unmatched_rows = [r for r in range(rows) if r not in matched_rows]
    unmatched_columns = [c for c in range(columns) if c not in matched_columns]
    return pairs, unmatched_rows, unmatched_columns
