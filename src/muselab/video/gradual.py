"""Gradual transitions (dissolves and fades), which hard-cut detectors miss because no single frame jumps.

A dissolve from shot A to shot B blends the two: frame t = (1 - a) A + a B, with a rising steadily from 0
to 1 over the transition. That leaves a signature a few numbers per frame can see, on a tiny copy of each
frame (48x27 by default):

* the change across the transition is large: |F(c+k) - F(c-k)| (`D_k`) is big when c-k lies before the
  blend and c+k after it, though each frame-to-frame step is small;
* the middle frame is the average of its two ends: |F(c) - (F(c-k) + F(c+k)) / 2| (`L_k`) is near 0 for
  a linear blend, while a hard cut leaves half the change there and camera or subject motion leaves a
  ghost (two half images are not the middle frame);
* the change stops growing past the transition: D_2k is about D_k once k covers half the blend, while a
  slow steady change (a zoom, a drifting gradient, a colour cycle), which is also linear, keeps growing;
* the picture itself changes, not only its light: the pattern of edges (gradient magnitudes, brightness
  and contrast normalised away) at c-k and c+k differ (`S_k`, their correlation, is low). A light being
  dimmed, a camera adjusting its exposure or a colour shift blends one frame into a brighter or
  differently coloured copy of itself, exactly as a dissolve would, but leaves the edges where they were.

At each frame c the smallest half-width k (from about 0.08 to 1 s) meeting all three is the transition's
half-length; neighbouring frames that meet them form one transition whose middle is the boundary. A fade
is a transition through black: a fade-out and fade-in meeting in the dark are one fade, and a fade from
black at the very start or into black at the very end is no boundary at all.

The same tiny frames give each frame's change from the one before (`change`, used to score hard cuts), how
alike its edges are to the one before's (`same_edges`, used to tell a new shot from a light or colour
change) and its brightness. Memory stays bounded: features are computed in chunks and only a window of
frames is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SIZE = (32, 18)  # tiny frame (width, height) for the statistics: dissolves are a global, low-frequency event
HALF_SECONDS = (0.08, 0.12, 0.16, 0.24, 0.32, 0.48, 0.64, 0.96)  # half-widths tried: blends of ~0.2-2.5 s
MIN_CHANGE = 20.0  # D_k at least this (mean absolute difference, 0-255): the two shots must differ
MAX_LINEAR = 0.2  # L_k at most this share of D_k: the middle frame is the blend of the two ends
MAX_GROWTH = 1.3  # D_2k at most this many times D_k: the change is over, not a steady drift
MAX_SAME_EDGES = 0.7  # S_k at most this: the two ends are different pictures, not one in another light
DARK = 20.0  # mean brightness (0-255) at or below which a frame counts as black (fades)
CHUNK = 128  # frames per vectorised feature step


@dataclass(frozen=True)
class Transition:
    """A gradual transition, in frames: the blend covers [start, end) and the new scene starts at `boundary`."""

    start: int
    end: int
    boundary: int
    kind: str  # "dissolve" | "fade"
    score: float  # how different the two sides are: mean absolute difference, 0-1


class FrameStats:
    """Per-frame statistics of a video fed one frame at a time, and its gradual transitions.

    `push(frame)` takes each BGR frame (any size) in order; `finish()` after the last. Then `change[n]` is
    the mean absolute difference between frame n and n-1 (0-1), `same_edges[n]` the correlation of their
    edge patterns (1: the same edges), `brightness[n]` the mean level (0-255) and `transitions()` the
    dissolves and fades found (only when `gradual`)."""

    def __init__(self, fps: float, gradual: bool = True, size: tuple[int, int] = SIZE):
        self.fps = fps
        self.gradual = gradual
        self.size = size
        half = sorted({max(2, round(fps * s)) for s in HALF_SECONDS})
        self.scales = half
        self._all_scales = sorted(set(half) | {2 * k for k in half})
        self._margin = max(self._all_scales)
        self._frames: list[np.ndarray] = []  # tiny frames from global index self._first
        self._first = 0
        self._next_centre = 0  # first centre whose features are not computed yet
        self._count = 0
        self._previous: np.ndarray | None = None
        self._previous_edges: np.ndarray | None = None
        self._change: list[float] = []
        self._same_edges: list[float] = []
        self._brightness: list[float] = []
        self._d: dict[int, list[np.ndarray]] = {k: [] for k in self._all_scales}
        self._lin: dict[int, list[np.ndarray]] = {k: [] for k in half}
        self._same: dict[int, list[np.ndarray]] = {k: [] for k in half}
        self._edges: list[np.ndarray] = []  # normalised edge pattern per buffered frame
        self.change = np.zeros(0)
        self.same_edges = np.zeros(0)
        self.brightness = np.zeros(0)
        self._features: tuple[dict[int, np.ndarray], ...] | None = None

    @property
    def frames(self) -> int:
        return self._count

    def push(self, frame: np.ndarray) -> None:
        tiny = cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)  # uint8; OpenCV sums small arrays fast
        self._brightness.append(sum(cv2.mean(tiny)[:3]) / 3)
        edges = _edge_pattern(tiny)
        if self._previous is None:
            self._change.append(0.0)
            self._same_edges.append(1.0)
        else:
            self._change.append(cv2.norm(tiny, self._previous, cv2.NORM_L1) / tiny.size / 255)
            self._same_edges.append(float(edges @ self._previous_edges))
        self._previous, self._previous_edges = tiny, edges
        self._count += 1
        if self.gradual:
            self._frames.append(tiny)
            self._edges.append(edges)
            if len(self._frames) >= 2 * self._margin + CHUNK:
                self._compute(self._count - self._margin)

    def finish(self) -> None:
        if self.gradual and self._count:
            self._compute(self._count)
        self.change = np.asarray(self._change, dtype=np.float64)
        self.same_edges = np.asarray(self._same_edges, dtype=np.float64)
        self.brightness = np.asarray(self._brightness, dtype=np.float64)
        if self.gradual:
            d = {k: np.concatenate(v) if v else np.zeros(0) for k, v in self._d.items()}
            lin = {k: np.concatenate(v) if v else np.zeros(0) for k, v in self._lin.items()}
            same = {k: np.concatenate(v) if v else np.zeros(0) for k, v in self._same.items()}
            self._features = (d, lin, same)
        self._frames.clear()
        self._edges.clear()

    def _compute(self, stop: int) -> None:
        """Features of centres [next_centre, stop); NaN where a window leaves the video."""
        if stop <= self._next_centre:
            return
        block = np.stack(self._frames).astype(np.float32)  # global frames [first, first + len)
        edges = np.stack(self._edges)
        first, last = self._first, self._first + len(self._frames) - 1
        centres = np.arange(self._next_centre, stop)
        for k in self._all_scales:
            d = np.full(len(centres), np.nan, dtype=np.float32)
            lin = np.full(len(centres), np.nan, dtype=np.float32) if k in self._lin else None
            same = np.full(len(centres), np.nan, dtype=np.float32) if k in self._same else None
            ok = (centres - k >= first) & (centres + k <= last)
            if ok.any():
                inside = centres[ok] - first
                before, after = block[inside - k], block[inside + k]
                d[ok] = np.abs(after - before).mean(axis=(1, 2, 3))
                if lin is not None:
                    lin[ok] = np.abs(block[inside] - (before + after) / 2).mean(axis=(1, 2, 3))
                    same[ok] = np.einsum("ij,ij->i", edges[inside - k], edges[inside + k])
            self._d[k].append(d)
            if lin is not None:
                self._lin[k].append(lin)
                self._same[k].append(same)
        self._next_centre = stop
        keep_from = max(self._first, stop - self._margin)
        del self._frames[: keep_from - self._first]
        del self._edges[: keep_from - self._first]
        self._first = keep_from

    def transitions(self) -> list[Transition]:
        """The dissolves and fades found, in order (after finish())."""
        if not self.gradual or self._features is None or self._count < 5:
            return []
        d, lin, same = self._features
        n = self._count
        best_k = np.zeros(n, dtype=np.int64)  # smallest fitting half-width per centre (0: none)
        best_d = np.zeros(n)
        with np.errstate(invalid="ignore"):
            for k in reversed(self.scales):  # smallest last, so it wins
                fits = (d[k] >= MIN_CHANGE) & (lin[k] <= MAX_LINEAR * d[k]) & (d[2 * k] <= MAX_GROWTH * d[k])
                fits &= same[k] <= MAX_SAME_EDGES
                fits &= ~np.isnan(d[2 * k])
                best_k[fits] = k
                best_d[fits] = d[k][fits]
        found: list[Transition] = []
        centres = np.flatnonzero(best_k)
        runs: list[list[int]] = []
        for c in centres:
            if runs and c - runs[-1][-1] <= 2:
                runs[-1].append(int(c))
            else:
                runs.append([int(c)])
        for run in runs:
            middle = int(round((run[0] + run[-1]) / 2))
            k = int(best_k[middle]) or int(best_k[run[len(run) // 2]])
            start, end = max(0, middle - k), min(n, middle + k + 1)
            found.append(Transition(start, end, middle, "dissolve", float(best_d[run].max()) / 255))
        return self._fades(found)

    def _fades(self, found: list[Transition]) -> list[Transition]:
        """Mark transitions through black as fades, join a fade-out and a fade-in that meet in the dark, and
        drop fades from black at the very start or into black at the very end (no new scene there)."""
        dark = self.brightness <= DARK
        joined: list[Transition] = []
        for t in found:
            if joined:
                prev = joined[-1]
                touching = t.start <= prev.end or bool(dark[prev.end:t.start].all())
                darks = prev.boundary + np.flatnonzero(dark[prev.boundary:t.boundary + 1])
                if touching and len(darks):
                    middle = int(round((darks[0] + darks[-1]) / 2))
                    joined[-1] = Transition(prev.start, t.end, middle, "fade", max(prev.score, t.score))
                    continue
            joined.append(t)
        result = []
        for t in joined:
            if not dark[t.start:t.end].any():
                result.append(t)
            elif not (dark[:t.start].all() or dark[t.end:].all()):
                result.append(Transition(t.start, t.end, t.boundary, "fade", t.score))
        return result


def _edge_pattern(tiny: np.ndarray) -> np.ndarray:
    """Where the picture's edges are, whatever its brightness, contrast or colour: the gradient magnitude of
    its grey image, centred and scaled to unit length (all zeros for a flat frame, e.g. black)."""
    grey = cv2.cvtColor(tiny, cv2.COLOR_BGR2GRAY).astype(np.float32)
    magnitude = np.abs(grey[:-1, 1:] - grey[:-1, :-1]) + np.abs(grey[1:, :-1] - grey[:-1, :-1])
    pattern = magnitude.ravel()
    pattern -= pattern.mean()
    norm = float(np.linalg.norm(pattern))
    return pattern / norm if norm > 1e-3 else np.zeros_like(pattern)
