"""What can be asked of the video studio: one Recipe per task.

Videos, pictures, music and subtitle files come in as Works (a video is imported with `muselab video import`
or POST /v1/video/import, which probes it first). Every recipe names its inputs by Work id; the engine finds
their files through the job's Context. Light on purpose: no OpenCV or ffmpeg import here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from muselab.engines import Recipe

WorkId = Annotated[str, Field(min_length=8, max_length=32, pattern=r"^[0-9a-f]+$", description="A Work id.")]
Seconds = Annotated[float, Field(ge=0, le=24 * 3600)]

# The xfade transitions editors know (ffmpeg's names); `cut` is no transition.
TRANSITIONS = ("fade", "dissolve", "wipeleft", "wiperight", "wipeup", "wipedown", "slideleft", "slideright",
               "circleopen", "circleclose", "radial", "smoothleft", "smoothright", "fadeblack", "fadewhite",
               "pixelize", "distance", "hblur")
Transition = Literal["cut", "fade", "dissolve", "wipeleft", "wiperight", "wipeup", "wipedown", "slideleft",
                     "slideright", "circleopen", "circleclose", "radial", "smoothleft", "smoothright", "fadeblack",
                     "fadewhite", "pixelize", "distance", "hblur"]
GRADES = ("none", "warm", "cool", "film", "mono", "vivid", "faded", "teal_orange")
Grade = Literal["none", "warm", "cool", "film", "mono", "vivid", "faded", "teal_orange"]
Aspect = Literal["16:9", "9:16", "1:1", "4:5"]


class Encoding(BaseModel):
    """How a rendered video is written (H.264 + AAC in MP4)."""

    model_config = ConfigDict(extra="forbid")

    crf: int = Field(default=20, ge=0, le=51, description="Quality (x264 CRF): lower is better and larger; 18-23 "
                     "is visually good.")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"] = Field(
        default="veryfast", description="x264 speed/size trade-off.")


class VideoRecipe(Recipe):
    """A task on one video of the library."""

    video_work_id: WorkId = Field(description="The video Work to work on.")


class RenderRecipe(VideoRecipe):
    encoding: Encoding = Field(default_factory=Encoding)


# ---------------------------------------------------------------------------------------- scenes
class ScenesRecipe(VideoRecipe):
    """Find the shots: hard cuts and gradual transitions (fades, dissolves)."""

    detector: Literal["content", "adaptive", "threshold", "histogram"] = Field(
        default="adaptive", description="PySceneDetect detector for hard cuts: content (HSV change), adaptive "
        "(content change relative to its neighbours: fewer false cuts on camera motion), threshold (fades to/from "
        "black), histogram (YUV histogram change).")
    threshold: float | None = Field(default=None, gt=0, le=255, description="The detector's threshold; empty: its "
                                    "own default.")
    gradual: bool = Field(default=True, description="Also find dissolves and fades, which hard-cut detectors miss.")
    min_scene_seconds: float = Field(default=0.6, ge=0.05, le=60, description="Shortest scene kept.")
    downscale: int | None = Field(default=None, ge=1, le=16, description="Analyse every N-th pixel (speed); "
                                  "empty: chosen from the frame size.")
    thumbnails: bool = Field(default=True, description="One picture per scene.")
    contact_sheet: bool = Field(default=True, description="One picture with all scenes.")
    split: Literal["none", "copy", "precise"] = Field(
        default="none", description="Also cut the video into one clip per scene: copy (fast, cuts on keyframes) "
        "or precise (re-encoded, frame-exact).")
    encoding: Encoding = Field(default_factory=Encoding)


# ---------------------------------------------------------------------------------------- cutting
class AutoCutRecipe(RenderRecipe):
    """Remove black, frozen and silent stretches; or jump-cut every pause in a talk."""

    remove_black: bool = True
    black_min_seconds: float = Field(default=0.5, ge=0.04, le=3600)
    black_threshold: float = Field(default=0.10, gt=0, le=1, description="A pixel this dark (0-1) counts as black.")
    remove_frozen: bool = True
    frozen_min_seconds: float = Field(default=2.0, ge=0.1, le=3600)
    frozen_noise_db: float = Field(default=-50, ge=-90, le=0, description="Frame change below this counts as frozen.")
    remove_silence: bool = True
    silence_db: float = Field(default=-35, ge=-90, le=0, description="Audio below this level counts as silence.")
    silence_min_seconds: float | None = Field(default=None, ge=0.05, le=3600, description="Shortest silence cut; "
                                              "empty: 1 s, or 0.4 s with jump_cut (a pause in speech).")
    jump_cut: bool = Field(default=False, description="Talk mode: cut every pause longer than silence_min_seconds "
                           "(a jump cut), keeping padding_seconds around speech.")

    @property
    def shortest_silence(self) -> float:
        if self.silence_min_seconds is not None:
            return self.silence_min_seconds
        return 0.4 if self.jump_cut else 1.0
    padding_seconds: float = Field(default=0.15, ge=0, le=5, description="Kept around each cut, so speech is not "
                                   "clipped.")
    min_keep_seconds: float = Field(default=0.3, ge=0, le=60, description="Shorter kept pieces are dropped.")


class HighlightsRecipe(RenderRecipe):
    """A shorter video of the best scenes, in order, joined with short crossfades."""

    target_seconds: float = Field(default=30, ge=2, le=3600, description="Length of the summary.")
    mode: Literal["summary", "trailer"] = Field(
        default="summary", description="summary: the best scenes, whole or trimmed; trailer: short, energetic "
        "shots building to the end.")
    crossfade_seconds: float = Field(default=0.5, ge=0, le=3)
    max_shot_seconds: float | None = Field(default=None, gt=0, le=600, description="Longest piece of one scene; "
                                           "empty: 8 s (summary) or 2.5 s (trailer).")


class ReframeRecipe(RenderRecipe):
    """Crop to another shape following the moving subject (not a fixed centre crop)."""

    aspect: Aspect = Field(default="9:16", description="The new shape.")
    smoothing_seconds: float = Field(default=1.0, ge=0, le=10, description="How slowly the crop follows the subject.")
    height: int | None = Field(default=None, ge=144, le=4320, multiple_of=2, description="Output height in pixels; "
                               "empty: as tall as the crop allows.")


# ---------------------------------------------------------------------------------------- effects
class SpeedOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["speed"] = "speed"
    factor: float = Field(gt=0.25, le=4, description="2 plays twice as fast; sound keeps its pitch.")


class GradeOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["grade"] = "grade"
    preset: Grade = "film"
    lut_work_id: WorkId | None = Field(default=None, description="A .cube LUT Work; used instead of the preset.")


class TitleOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["title", "lower_third"] = "title"
    text: str = Field(min_length=1, max_length=200, description="Chinese or English.")
    subtext: str = Field(default="", max_length=200, description="Lower third: the second, smaller line.")
    start: Seconds = 0.0
    duration: float = Field(default=3.0, gt=0, le=3600)


class FadeOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["fade"] = "fade"
    fade_in: float = Field(default=1.0, ge=0, le=30)
    fade_out: float = Field(default=1.0, ge=0, le=30)


VideoOp = Annotated[SpeedOp | GradeOp | TitleOp | FadeOp, Field(discriminator="op")]


class EditRecipe(RenderRecipe):
    """Effects in order: speed, colour grade or LUT, titles and lower thirds, fades."""

    ops: list[VideoOp] = Field(min_length=1, max_length=20)


class Shot(BaseModel):
    """One piece of an assembled video: part of a video Work, or a picture Work held for a while."""

    model_config = ConfigDict(extra="forbid")

    work_id: WorkId
    start: Seconds = Field(default=0.0, description="Video: where the piece starts.")
    end: Seconds | None = Field(default=None, description="Video: where it ends (empty: the end).")
    duration: float = Field(default=4.0, gt=0, le=600, description="Picture: how long it is shown.")
    ken_burns: bool = Field(default=True, description="Picture: a slow zoom and pan.")
    caption: str = Field(default="", max_length=500, description="Shown at the bottom while this shot plays.")


class AssembleRecipe(Recipe):
    """Join videos and pictures (Ken Burns) with transitions, optional music and captions: a short film."""

    shots: list[Shot] = Field(min_length=1, max_length=200)
    transition: Transition = "fade"
    transition_seconds: float = Field(default=0.6, ge=0, le=5)
    aspect: Aspect = "16:9"
    height: int = Field(default=720, ge=144, le=2160, multiple_of=2)
    fps: int = Field(default=30, ge=10, le=60)
    music_work_id: WorkId | None = Field(default=None, description="Music under the film (looped or cut to length).")
    music_db: float = Field(default=-14, ge=-60, le=6, description="Music level under speech-free passages.")
    title: str = Field(default="", max_length=200, description="A title card at the start.")
    encoding: Encoding = Field(default_factory=Encoding)


# ---------------------------------------------------------------------------------------- words and sound
class SubtitlesRecipe(RenderRecipe):
    """Add subtitles: from a file (SRT, VTT, ASS) or transcribed from speech; burned in, or as a soft track."""

    subtitle_work_id: WorkId | None = Field(default=None, description="An SRT/VTT/ASS Work; empty: transcribe.")
    language: str | None = Field(default=None, max_length=8, description="Speech language for transcription "
                                 "(zh, en...); empty: detected.")
    burn: bool = Field(default=True, description="Burn into the picture (with a CJK font); else a soft track.")
    font_size: int = Field(default=0, ge=0, le=200, description="Burned text size in pixels; 0: from the frame.")


class TranscribeRecipe(VideoRecipe):
    """Subtitles from speech (Whisper): SRT, WebVTT and word timings."""

    language: str | None = Field(default=None, max_length=8, description="zh, en...; empty: detected.")
    max_line_chars: int = Field(default=42, ge=8, le=120, description="Longest subtitle line.")


class SoundRecipe(RenderRecipe):
    """Music under the video, ducked under speech; loudness normalised (EBU R128); fades."""

    music_work_id: WorkId | None = Field(default=None, description="Audio or MIDI Work; looped or cut to length.")
    music_db: float = Field(default=-12, ge=-60, le=6, description="Music level relative to itself before ducking.")
    duck: bool = Field(default=True, description="Lower the music while someone speaks (sidechain compression).")
    duck_db: float = Field(default=12, ge=0, le=40, description="How far the music dips under speech.")
    loudness_lufs: float = Field(default=-16, ge=-40, le=-5, description="Integrated loudness target (EBU R128): -16 "
                                 "for the web, -23 for broadcast.")
    fade_in: float = Field(default=0.5, ge=0, le=30)
    fade_out: float = Field(default=1.0, ge=0, le=30)


class ExportEdlRecipe(Recipe):
    """The cut of a video made here, as an edit list a desktop editor opens."""

    cut_work_id: WorkId = Field(description="A video made by video.autocut, video.highlights or video.assemble.")
    format: Literal["otio", "cmx3600", "fcpxml"] = "otio"
