"""The PySceneDetect detector a scenes recipe names, with its options.

ContentDetector and AdaptiveDetector score a frame by the mean absolute change of hue, saturation and
value from the frame before. PySceneDetect computes that with NumPy on int32 copies of each channel; here
the same sums come from OpenCV's absdiff and sumElems on the uint8 HSV frame, which is exact (|a - b| of
two bytes fits a byte; the sums are integers far below 2**53) and several times cheaper. Everything else,
thresholds, flash filter, the adaptive window, is PySceneDetect's own code. A test checks the scores are
equal to PySceneDetect's on real frames.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from scenedetect import AdaptiveDetector, ContentDetector, FrameTimecode, HistogramDetector, ThresholdDetector

from muselab.engines import EngineError

# PySceneDetect's defaults, also written into the recipe's documentation
DEFAULT_THRESHOLDS = {"content": 27.0, "adaptive": 3.0, "threshold": 12.0, "histogram": 0.2}


class _FastHsvScore:
    """ContentDetector's frame score (weights on hue, saturation, value; no edges) from OpenCV sums."""

    _last_hsv: np.ndarray | None = None

    def _calculate_frame_score(self, timecode: FrameTimecode, frame_img: np.ndarray) -> float:
        weights = self._weights
        if weights.delta_edges > 0 or self.stats_manager is not None:  # edges or statistics: PySceneDetect's way
            return super()._calculate_frame_score(timecode, frame_img)
        hsv = cv2.cvtColor(frame_img, cv2.COLOR_BGR2HSV)
        last, self._last_hsv = self._last_hsv, hsv
        if last is None:
            return 0.0
        pixels = float(hsv.shape[0] * hsv.shape[1])
        hue, sat, lum, _ = cv2.sumElems(cv2.absdiff(hsv, last))
        score = (hue * weights.delta_hue + sat * weights.delta_sat + lum * weights.delta_lum) / pixels
        return score / sum(abs(w) for w in weights)


class FastContentDetector(_FastHsvScore, ContentDetector):
    pass


class FastAdaptiveDetector(_FastHsvScore, AdaptiveDetector):
    pass


def make_detector(name: str, threshold: float | None, min_scene_frames: int) -> Any:
    """A fresh detector: content, adaptive, threshold or histogram, with `threshold` or its default."""
    t = threshold if threshold is not None else DEFAULT_THRESHOLDS[name]
    if name == "content":
        return FastContentDetector(threshold=t, min_scene_len=min_scene_frames)
    if name == "adaptive":
        return FastAdaptiveDetector(adaptive_threshold=t, min_scene_len=min_scene_frames)
    if name == "threshold":
        return ThresholdDetector(threshold=t, min_scene_len=min_scene_frames)
    if name == "histogram":
        if t > 1:
            raise EngineError(f"threshold: the histogram detector takes a share of change between 0 and 1 "
                              f"(default 0.2), not {t:g}")
        return HistogramDetector(threshold=t, min_scene_len=min_scene_frames)
    raise EngineError(f"detector: unknown detector {name!r}; accepted: content, adaptive, threshold, histogram")
