"""The geometric engine of the unit-grid division: faces, merges of small ones, straight cuts.

Private to :mod:`grid_codes.division` (read its docstring for the algorithm and the area
band). Everything here works on one community at a time, in metres, and every cell it
returns is a union of faces of one noded linework, so the cells form an exact coverage.
"""

import heapq
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

IN_BAND, BELOW_MIN, ABOVE_MAX = "in_band", "below_min", "above_max"

# Rounds of merge → cut → re-polygonise; two are enough unless a merge overfills a piece.
_MAX_ROUNDS = 4
# Recursion limit of the halving cuts: 2**16 pieces is far beyond the 999 a serial allows.
_MAX_DEPTH = 16
# A cut overshoots its piece by this much so the noder closes it; the overshoot dangles.
_CUT_OVERSHOOT_M = 0.01
# Samples per refinement of the equal-area cut position, and refinement rounds.
_CUT_SAMPLES, _CUT_ROUNDS = 64, 2
# Lengths and distances below this are noise of floating-point noding.
_NOISE_M = 1e-6


@dataclass(frozen=True)
class Limits:
    """Area band and tolerances of one division, in m² and m."""

    target: float
    min_area: float
    max_area: float
    min_width: float
    snap: float


@dataclass(frozen=True)
class FaceCell:
    """One cell of a community before it is numbered: geometry, band flag and why."""

    geometry: BaseGeometry
    flag: str
    note: str


class TilingError(Exception):
    """The faces of a community do not add up to its area (a defect of the input or of GEOS)."""


def divide_polygon(community: BaseGeometry, barriers: np.ndarray, limits: Limits) -> list[FaceCell]:
    """Divide one community (metres) by the barrier lines into cells within the area band."""
    lines = _linework(community, barriers, limits.snap)
    faces = _faces(community, lines)
    labels = np.arange(len(faces))
    isolated: set[int] = set()
    clusters: dict[int, BaseGeometry] = {}
    for round_no in range(_MAX_ROUNDS):
        labels, isolated = _merge_small(faces, labels, limits)
        clusters = _cluster_geometries(faces, labels)
        large = [label for label, geom in clusters.items() if geom.area > limits.max_area]
        if not large or round_no == _MAX_ROUNDS - 1:
            break
        kept = set(clusters) - set(large)
        pieces: list[BaseGeometry] = [g for lb, g in clusters.items() if lb in kept]
        cuts: list[BaseGeometry] = []
        for label in large:
            split_pieces, split_cuts = split_polygon(clusters[label], limits)
            pieces.extend(split_pieces)
            cuts.extend(split_cuts)
        lines = np.concatenate([lines, np.asarray(cuts, dtype=object)])
        faces = _faces(community, lines)
        labels = _assign(faces, np.asarray(pieces, dtype=object))
    return [_face_cell(geom, label in isolated, len(clusters), limits)
            for label, geom in sorted(clusters.items())]


def _face_cell(geom: BaseGeometry, isolated: bool, count: int, limits: Limits) -> FaceCell:
    """Flag a final cluster against the band and say why it is outside."""
    area = geom.area
    if area < limits.min_area:
        if count == 1:
            note = (f"the community itself ({area:.0f} m²) is smaller than min"
                    f" ({limits.min_area:.0f} m²)")
        else:
            note = (f"face bounded by barriers is smaller than min ({area:.0f} m² <"
                    f" {limits.min_area:.0f} m²) and has no neighbour in the same community")
        return FaceCell(geom, BELOW_MIN, note)
    if area > limits.max_area:
        return FaceCell(geom, ABOVE_MAX, (
            f"larger than max ({area:.0f} m² > {limits.max_area:.0f} m²) after"
            f" {_MAX_ROUNDS} rounds of merging and straight cuts"))
    if isolated:
        return FaceCell(geom, IN_BAND, (
            f"narrower than the minimum sliver width ({limits.min_width:g} m) and has no"
            " neighbour in the same community"))
    return FaceCell(geom, IN_BAND, "")


def _linework(community: BaseGeometry, barriers: np.ndarray, snap: float) -> np.ndarray:
    """The community boundary, the barriers clipped to it, and connectors closing undershoots."""
    boundary = shapely.boundary(community)
    if not len(barriers):
        return np.asarray([boundary], dtype=object)
    clipped = shapely.get_parts(shapely.intersection(barriers, community))
    lines = clipped[shapely.get_type_id(clipped) == 1]
    lines = lines[shapely.length(lines) > _NOISE_M]
    connectors = _undershoot_connectors(lines, boundary, snap)
    return np.concatenate([[boundary], lines, connectors]).astype(object)


def _undershoot_connectors(lines: np.ndarray, boundary: BaseGeometry, snap: float) -> np.ndarray:
    """Short segments joining dangling line ends to the nearest other line within `snap` metres."""
    if snap <= 0 or not len(lines):
        return np.empty(0, dtype=object)
    targets = np.concatenate([lines, [boundary]]).astype(object)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    owner = np.concatenate([np.arange(len(lines)), np.arange(len(lines))])
    end_idx, target_idx = shapely.STRtree(targets).query(ends, predicate="dwithin", distance=snap)
    other = target_idx != owner[end_idx]
    end_idx, target_idx = end_idx[other], target_idx[other]
    if not len(end_idx):
        return np.empty(0, dtype=object)
    dist = shapely.distance(ends[end_idx], targets[target_idx])
    touching = np.zeros(len(ends), dtype=bool)
    touching[end_idx[dist <= _NOISE_M]] = True
    # Nearest other line per dangling end: sort by distance, keep the first row of each end.
    order = np.lexsort((dist, end_idx))
    end_idx, target_idx, dist = end_idx[order], target_idx[order], dist[order]
    first = np.ones(len(end_idx), dtype=bool)
    first[1:] = end_idx[1:] != end_idx[:-1]
    pick = first & ~touching[end_idx]
    if not pick.any():
        return np.empty(0, dtype=object)
    return np.asarray(
        shapely.shortest_line(ends[end_idx[pick]], targets[target_idx[pick]]), dtype=object
    )


def _faces(community: BaseGeometry, lines: np.ndarray) -> np.ndarray:
    """Polygonise the noded linework and keep the faces inside the community (not its holes)."""
    noded = shapely.union_all(lines)
    polys = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    polys = polys[shapely.area(polys) > 0]
    shapely.prepare(community)
    inside = shapely.contains(community, shapely.point_on_surface(polys))
    faces = shapely.normalize(polys[inside])
    total, expected = float(shapely.area(faces).sum()), community.area
    if abs(total - expected) > 1e-7 * expected + 1e-6:
        raise TilingError(f"faces cover {total:.3f} m² of a {expected:.3f} m² community")
    return np.asarray(faces, dtype=object)


def _adjacency(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of faces sharing an edge (not just a corner), with the shared length."""
    i, j = shapely.STRtree(faces).query(faces, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    rings = shapely.boundary(faces)
    shared = shapely.length(shapely.intersection(rings[i], rings[j]))
    keep = shared > _NOISE_M
    return i[keep], j[keep], shared[keep]


def _merge_small(
    faces: np.ndarray, labels: np.ndarray, limits: Limits
) -> tuple[np.ndarray, set[int]]:
    """Merge clusters below min area or min width into the neighbour with the longest shared edge.

    Clusters are processed smallest first; ties break on a geometric key (the smallest (x, y)
    point on surface of the cluster's faces) so that the result does not depend on face order,
    which keeps cells away from an edit unchanged (相对稳定). Returns the new labels and the
    labels of deficient clusters that have no neighbour.
    """
    n_labels = int(labels.max()) + 1 if len(labels) else 0
    i, j, shared = _adjacency(faces)
    li, lj = labels[i], labels[j]
    internal = li == lj
    area = np.bincount(labels, shapely.area(faces), minlength=n_labels)
    perim = np.bincount(labels, shapely.length(faces), minlength=n_labels)
    perim -= 2 * np.bincount(li[internal], shared[internal], minlength=n_labels)
    adj: dict[int, dict[int, float]] = {int(lb): {} for lb in np.unique(labels)}
    for a, b, length in zip(li[~internal].tolist(), lj[~internal].tolist(),
                            shared[~internal].tolist(), strict=True):
        adj[a][b] = adj[a].get(b, 0.0) + length
        adj[b][a] = adj[b].get(a, 0.0) + length
    pts = shapely.get_coordinates(shapely.point_on_surface(faces))
    key: dict[int, tuple[float, float]] = {}
    for label, x, y in zip(labels.tolist(), pts[:, 0].tolist(), pts[:, 1].tolist(), strict=True):
        key[label] = min(key.get(label, (x, y)), (x, y))

    def deficient(lb: int) -> bool:
        """Below the minimum area, or narrower than the minimum sliver width."""
        return bool(area[lb] < limits.min_area or 2 * area[lb] < limits.min_width * perim[lb])

    parent = {lb: lb for lb in adj}
    heap = [(float(area[lb]), key[lb], lb) for lb in adj if deficient(lb)]
    heapq.heapify(heap)
    isolated: set[int] = set()
    while heap:
        size, _, lb = heapq.heappop(heap)
        if parent[lb] != lb or size != float(area[lb]) or not deficient(lb):
            continue
        if not adj[lb]:
            isolated.add(lb)
            continue
        into = max(adj[lb], key=lambda nb: (adj[lb][nb], key[nb]))
        area[into] += area[lb]
        perim[into] += perim[lb] - 2 * adj[lb][into]
        for nb, length in adj.pop(lb).items():
            del adj[nb][lb]
            if nb != into:
                adj[into][nb] = adj[into].get(nb, 0.0) + length
                adj[nb][into] = adj[nb].get(into, 0.0) + length
        parent[lb] = into
        if deficient(into):
            heapq.heappush(heap, (float(area[into]), key[into], into))

    def root(lb: int) -> int:
        """The cluster a label was finally merged into."""
        while parent[lb] != lb:
            lb = parent[lb]
        return lb

    roots = {lb: root(lb) for lb in parent}
    return np.array([roots[lb] for lb in labels.tolist()], dtype=np.int64), isolated


def _cluster_geometries(faces: np.ndarray, labels: np.ndarray) -> dict[int, BaseGeometry]:
    """The union of each label's faces; exact because the faces share their edges."""
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    clusters: dict[int, BaseGeometry] = {}
    for group in np.split(order, bounds):
        if len(group) == 1:
            geom = faces[group[0]]
        else:
            geom = shapely.normalize(shapely.coverage_union_all(faces[group]))
        clusters[int(labels[group[0]])] = geom
    return clusters


def _assign(faces: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Label each face with the index of the piece holding its point on surface."""
    pts = shapely.point_on_surface(faces)
    tree = shapely.STRtree(pieces)
    labels = np.full(len(faces), -1, dtype=np.int64)
    pi, gi = tree.query(pts, predicate="within")
    labels[pi] = gi
    missing = np.flatnonzero(labels < 0)
    if len(missing):
        mi, mg = tree.query_nearest(pts[missing])
        labels[missing[mi]] = mg
    return labels


def split_polygon(
    polygon: BaseGeometry, limits: Limits
) -> tuple[list[BaseGeometry], list[BaseGeometry]]:
    """Cut a polygon into pieces of about the target area; returns the pieces and the cut lines.

    Each step cuts perpendicular to the long axis of the minimum rotated rectangle, at the
    position that leaves ⌊n/2⌋ of the n target-sized pieces on one side, and recurses.
    """
    pieces: list[BaseGeometry] = []
    cuts: list[BaseGeometry] = []
    stack = [(polygon, max(2, round(polygon.area / limits.target)), 0)]
    while stack:
        poly, count, depth = stack.pop()
        if (count < 2 and poly.area <= limits.max_area) or depth >= _MAX_DEPTH:
            pieces.append(poly)
            continue
        count = max(count, 2)
        half = count // 2
        frame = _Frame.of(poly)
        at = frame.equal_area_position(half / count)
        # Both sides by intersection: a difference can leave the cut vertices off the edge.
        left = shapely.intersection(poly, frame.half_plane(at))
        right = shapely.intersection(poly, frame.half_plane(at, upper=True))
        cuts.extend(frame.cut_segments(at))
        for side, side_count in ((left, half), (right, count - half)):
            parts = _polygon_parts(side)
            for part in parts:
                n = side_count if len(parts) == 1 else max(1, round(part.area / limits.target))
                stack.append((part, n, depth + 1))
    return pieces, cuts


def _polygon_parts(geom: BaseGeometry) -> list[BaseGeometry]:
    """The non-empty polygons of an overlay result."""
    parts = shapely.get_parts(geom)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    return list(parts[keep])


@dataclass(frozen=True)
class _Frame:
    """A polygon's edges in coordinates along (t) and across (w) its long axis.

    The long axis is that of the minimum rotated rectangle; (u, v) is right-handed, so areas
    keep their sign. The area on the side t < s has a closed form (Green's theorem,
    A = ∮ t dw, the closing segment on t = s contributing s·Δw), so finding an equal-area cut
    needs no overlay operations.
    """

    u: np.ndarray
    v: np.ndarray
    edges: np.ndarray  # (E, 4): t0, w0, t1, w1 of every ring edge, exterior CCW, holes CW
    t_min: float
    t_max: float
    w_min: float
    w_max: float

    @classmethod
    def of(cls, poly: BaseGeometry) -> "_Frame":
        """The frame of a polygon's minimum rotated rectangle."""
        corners = shapely.get_coordinates(shapely.oriented_envelope(poly))
        e0, e1 = corners[1] - corners[0], corners[2] - corners[1]
        axis = e0 if np.hypot(*e0) >= np.hypot(*e1) else e1
        u = axis / np.hypot(*axis)
        v = np.array([-u[1], u[0]])
        rings = shapely.get_rings(shapely.orient_polygons(poly))
        tw = [np.column_stack([xy @ u, xy @ v]) for xy in map(shapely.get_coordinates, rings)]
        edges = np.concatenate([np.hstack([r[:-1], r[1:]]) for r in tw])
        t, w = edges[:, 0], edges[:, 1]
        return cls(u, v, edges, float(t.min()), float(t.max()), float(w.min()), float(w.max()))

    def _xy(self, t: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Map frame coordinates back to x, y."""
        return t[..., None] * self.u + w[..., None] * self.v

    def half_plane(self, at: float, *, upper: bool = False) -> BaseGeometry:
        """A rectangle covering the polygon's part with t < at (or t > at)."""
        end = self.t_max + 1.0 if upper else self.t_min - 1.0
        w0, w1 = self.w_min - 1.0, self.w_max + 1.0
        t = np.array([end, at, at, end, end])
        return shapely.polygons(self._xy(t, np.array([w0, w0, w1, w1, w0])))

    def area_below(self, s: np.ndarray) -> np.ndarray:
        """Area of the polygon with t < s, for each s (Σ over edges of ∫ (t − s) dw)."""
        t0, w0, t1, w1 = (self.edges[:, k, None] for k in range(4))
        dt, dw = t1 - t0, w1 - w0
        flat = dt == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.clip((s - t0) / np.where(flat, 1.0, dt), 0.0, 1.0)
        # The part of each edge below s is the parameter interval [a, b] of p0 + λ(p1 − p0).
        a = np.where(dt < 0, r, 0.0)
        b = np.where(dt > 0, r, np.where(flat, (t0 < s).astype(float), 1.0))
        b = np.maximum(a, b)
        return (dw * ((t0 - s) * (b - a) + dt * (b * b - a * a) / 2)).sum(axis=0)

    def equal_area_position(self, fraction: float) -> float:
        """The t at which the polygon's area with t < at is `fraction` of its area."""
        total = float(self.area_below(np.array([self.t_max + 1.0]))[0])
        goal = fraction * total
        lo, hi, f_lo, f_hi = self.t_min, self.t_max, 0.0, total
        for _ in range(_CUT_ROUNDS):
            ts = np.linspace(lo, hi, _CUT_SAMPLES + 1)
            fs = np.maximum.accumulate(self.area_below(ts))
            k = int(np.clip(np.searchsorted(fs, goal), 1, _CUT_SAMPLES))
            lo, hi, f_lo, f_hi = float(ts[k - 1]), float(ts[k]), float(fs[k - 1]), float(fs[k])
        if f_hi <= f_lo:
            return (lo + hi) / 2
        return lo + (goal - f_lo) * (hi - lo) / (f_hi - f_lo)

    def cut_segments(self, at: float) -> list[BaseGeometry]:
        """The cut line t = at inside the polygon, each segment overshooting both ends.

        Scanline rule: an edge crosses when exactly one end has t < at (half-open, so a cut
        through a vertex counts once); the sorted crossings pair up into inside segments.
        """
        t0, w0, t1, w1 = self.edges.T
        crosses = (t0 < at) != (t1 < at)
        w = w0[crosses] + (at - t0[crosses]) * (w1[crosses] - w0[crosses]) / (
            t1[crosses] - t0[crosses]
        )
        w = np.sort(w)
        starts, ends = w[0::2], w[1::2]
        keep = ends - starts > _NOISE_M
        starts, ends = starts[keep] - _CUT_OVERSHOOT_M, ends[keep] + _CUT_OVERSHOOT_M
        ts = np.full((len(starts), 2), at)
        xy = self._xy(ts, np.column_stack([starts, ends]))
        return list(shapely.linestrings(xy))
