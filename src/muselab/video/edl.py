"""video.export_edl: the cut of a video made here, as an edit list a desktop editor opens.

A cut Work (video.autocut, video.highlights) keeps its timeline in `meta["timeline"]`: the source Work,
the kept pieces in source seconds, the frame rate and the crossfade. `plan` turns it into whole frames
once (pieces, and the dissolve at each join exactly as `timeline.render_segments` made it), and three
writers tell the same plan in three formats:

- OpenTimelineIO (`.otio`, JSON): a video track (and an audio track when the source has sound), one clip per
  piece, SMPTE dissolves centred on the edit point. Written with the `opentimelineio` package.
- CMX 3600 EDL (`.edl`): one event per piece, record timecode from 01:00:00:00, dissolves as `D` events
  that start at the edit (the format's own convention). Written here: OpenTimelineIO 0.18's core package
  has no cmx_3600 adapter (that is `otio-cmx3600-adapter`), and the format is a few fixed columns of text.
- FCPXML 1.9 (`.fcpxml`, Final Cut Pro, DaVinci Resolve): one asset, asset-clips on a spine, Cross
  Dissolve transitions centred on the edit. Written here with ElementTree (OpenTimelineIO's fcpx_xml
  adapter is a separate plug-in and writes no transitions).

The media is named by the source Work's title (its original file name): the editor relinks it to the
file on disk."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction

from muselab.engines import Context, EngineError, Output
from muselab.video.analysis import file_stem
from muselab.video.recipe import ExportEdlRecipe
from muselab.video.timeline import Segment, join_fades

FORMATS = {  # format: (suffix, media type)
    "otio": (".otio", "application/json"),
    "cmx3600": (".edl", "text/plain; charset=utf-8"),
    "fcpxml": (".fcpxml", "application/xml"),
}
RECORD_START_HOURS = 1  # edit lists start the programme at 01:00:00:00 by convention
_NTSC = {23.976: Fraction(24000, 1001), 29.97: Fraction(30000, 1001), 59.94: Fraction(60000, 1001)}
CROSS_DISSOLVE = "FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265"  # Final Cut Pro's Cross Dissolve
AUDIO_CROSSFADE = "FFAudioTransition"


def exact_rate(fps: float) -> Fraction:
    """The frame rate as a fraction: 29.97 is 30000/1001, 25 is 25."""
    for approx, exact in _NTSC.items():
        if abs(fps - approx) < 0.01:
            return exact
    return Fraction(fps).limit_denominator(1001)


@dataclass
class Source:
    work_id: str
    name: str  # the file name an editor relinks to
    has_audio: bool = True
    width: int = 0
    height: int = 0
    duration: float | None = None


@dataclass
class Plan:
    """A cut in whole frames: pieces as (first frame, end frame) of the source, the dissolve at each join."""

    source: Source
    rate: Fraction
    pieces: list[tuple[int, int]]
    fades: list[int]  # frames, one per join (0: a hard cut)
    title: str

    @property
    def timecode_rate(self) -> int:  # frames counted per timecode second (non-drop frame)
        return round(self.rate)

    @property
    def length(self) -> int:
        return sum(b - a for a, b in self.pieces) - sum(self.fades)

    def centred(self) -> list[tuple[int, int]]:
        """Each join's dissolve split around the edit point: (frames before, frames after)."""
        return [(f // 2, f - f // 2) for f in self.fades]


def plan(timeline: dict, source: Source, title: str) -> Plan:
    """Whole frames from a cut's meta["timeline"]; the dissolves as the render made them."""
    try:
        fps = float(timeline["fps"])
        segments = [Segment(float(a), float(b)) for a, b in timeline["segments"]]
        crossfade = float(timeline.get("crossfade") or 0)
    except (KeyError, TypeError, ValueError):
        raise EngineError("cut_work_id: the Work's timeline is not one this studio wrote (source, fps, segments, "
                          "crossfade)") from None
    if fps <= 0 or not segments:
        raise EngineError("cut_work_id: the Work's timeline has no frame rate or no pieces")
    rate = exact_rate(fps)
    pieces = [(round(s.start * rate), round(s.end * rate)) for s in segments]
    fades = [round(f * rate) for f in join_fades(segments, crossfade)]
    return Plan(source, rate, pieces, fades, title)


def read_cut(ctx: Context, cut_work_id: str) -> Plan:
    """The plan of a cut Work, with what the library knows of its source."""
    cut = ctx.input_work(cut_work_id)
    timeline = (cut.get("meta") or {}).get("timeline")
    if not isinstance(timeline, dict) or not timeline.get("source"):
        raise EngineError("cut_work_id: this Work holds no cut to export; choose a video made by video.autocut or "
                          "video.highlights (their meta has a timeline)")
    source_id = str(timeline["source"])
    source = Source(source_id, source_id)
    try:
        work = ctx.input_work(source_id)
    except EngineError:
        work = None  # the source left the library: the edit list still names its id
    if work:
        source.name = work.get("title") or source_id
        probe = (work.get("meta") or {}).get("probe") or {}
        if not probe:
            try:
                from muselab.video.ffmpeg import probe as probe_file

                probe = probe_file(ctx.input_path(source_id)).to_dict()
            except EngineError:
                probe = {}
        source.has_audio = bool(probe.get("audio_codec", True))
        source.width, source.height = int(probe.get("width") or 0), int(probe.get("height") or 0)
        source.duration = probe.get("duration")
    return plan(timeline, source, cut.get("title") or f"cut of {source.name}")


# ------------------------------------------------------------------------------------------ OpenTimelineIO
def to_otio(p: Plan):
    """An OpenTimelineIO Timeline of the plan."""
    import opentimelineio as otio

    rate = float(p.rate)

    def rt(frames: int):
        return otio.opentime.RationalTime(frames, rate)

    timeline = otio.schema.Timeline(name=p.title)
    timeline.global_start_time = rt(RECORD_START_HOURS * 3600 * p.timecode_rate)
    timeline.metadata["muselab"] = {"source_work_id": p.source.work_id, "source_name": p.source.name}
    kinds = [otio.schema.TrackKind.Video] + ([otio.schema.TrackKind.Audio] if p.source.has_audio else [])
    around = p.centred()
    for kind in kinds:
        track = otio.schema.Track(name="V1" if kind == otio.schema.TrackKind.Video else "A1", kind=kind)
        for i, (first, end) in enumerate(p.pieces):
            before = around[i - 1][0] if i > 0 else 0  # the dissolve into this piece uses media before its in
            after = around[i][1] if i < len(around) else 0  # the one out of it, media after its out
            if i > 0 and p.fades[i - 1]:
                track.append(otio.schema.Transition(
                    name="Dissolve", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=rt(around[i - 1][0]), out_offset=rt(around[i - 1][1])))
            reference = otio.schema.ExternalReference(target_url=p.source.name)
            if p.source.duration:
                reference.available_range = otio.opentime.TimeRange(rt(0), rt(round(p.source.duration * p.rate)))
            track.append(otio.schema.Clip(
                name=f"{p.source.name} {i + 1}", media_reference=reference,
                source_range=otio.opentime.TimeRange(rt(first + before), rt(end - first - before - after))))
        timeline.tracks.append(track)
    return timeline


def write_otio(p: Plan) -> bytes:
    import opentimelineio as otio

    return otio.adapters.write_to_string(to_otio(p), "otio_json").encode()


# ------------------------------------------------------------------------------------------ CMX 3600
def timecode(frames: int, per_second: int) -> str:
    """Non-drop-frame timecode HH:MM:SS:FF."""
    seconds, ff = divmod(frames, per_second)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}"


def _ascii(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else "_" for c in text)


def write_cmx3600(p: Plan, reel: str = "AX") -> bytes:
    """A CMX 3600 edit decision list: one event per piece; a dissolve is a D event starting at the edit."""
    tc = p.timecode_rate
    channels = "AA/V" if p.source.has_audio else "V"
    record = RECORD_START_HOURS * 3600 * tc

    def line(event: int, kind: str, duration: str, src_in: int, src_out: int, rec_in: int, rec_out: int) -> str:
        return (f"{event:03d}  {reel:<8} {channels:<5} {kind:<4} {duration:>3} {timecode(src_in, tc)} "
                f"{timecode(src_out, tc)} {timecode(record + rec_in, tc)} {timecode(record + rec_out, tc)}")

    lines = [f"TITLE: {_ascii(p.title)[:70]}", "FCM: NON-DROP FRAME", ""]
    position = 0  # record frames of the programme so far
    for i, (first, end) in enumerate(p.pieces):
        fade_in = p.fades[i - 1] if i > 0 else 0
        fade_out = p.fades[i] if i < len(p.fades) else 0
        shown = end - first - fade_out  # a dissolve out of this piece is the next event's, from its start
        if fade_in:
            # The outgoing piece's source where the dissolve starts, held for no time; then the dissolve to this one.
            held = p.pieces[i - 1][1] - fade_in
            lines.append(line(i + 1, "C", "", held, held, position, position))
            lines.append(line(i + 1, "D", f"{fade_in:03d}", first, first + shown, position, position + shown))
            lines += [f"* FROM CLIP NAME: {p.source.name}", f"* TO CLIP NAME: {p.source.name}", ""]
        else:
            lines.append(line(i + 1, "C", "", first, first + shown, position, position + shown))
            lines += [f"* FROM CLIP NAME: {p.source.name}", ""]
        position += shown
    return ("\n".join(lines).rstrip("\n") + "\n").encode()


# ------------------------------------------------------------------------------------------ FCPXML
def _rational(frames: int, rate: Fraction) -> str:
    """An FCPXML time: whole frames as a rational number of seconds, in frame units ("90/25s",
    "3003/30000s"), which is how Final Cut Pro writes times on frame boundaries."""
    if frames == 0:
        return "0s"
    frame = Fraction(1) / rate
    return f"{frames * frame.numerator}/{frame.denominator}s"


def write_fcpxml(p: Plan) -> bytes:
    """FCPXML 1.9: a format, an asset (the source), and a project whose spine holds the pieces and dissolves."""
    r = p.rate
    frame = Fraction(1) / r
    root = ET.Element("fcpxml", version="1.9")
    resources = ET.SubElement(root, "resources")
    format_attrs = {"id": "r1", "frameDuration": f"{frame.numerator}/{frame.denominator}s"}
    if p.source.width and p.source.height:
        format_attrs |= {"width": str(p.source.width), "height": str(p.source.height)}
    ET.SubElement(resources, "format", format_attrs)
    asset_attrs = {"id": "r2", "name": p.source.name, "start": "0s", "hasVideo": "1", "format": "r1"}
    if p.source.duration:
        asset_attrs["duration"] = _rational(round(p.source.duration * r), r)
    if p.source.has_audio:
        asset_attrs |= {"hasAudio": "1", "audioSources": "1", "audioChannels": "2"}
    asset = ET.SubElement(resources, "asset", asset_attrs)
    ET.SubElement(asset, "media-rep", kind="original-media", src=p.source.name)
    if any(p.fades):
        ET.SubElement(resources, "effect", id="r3", name="Cross Dissolve", uid=CROSS_DISSOLVE)
        ET.SubElement(resources, "effect", id="r4", name="Audio Crossfade", uid=AUDIO_CROSSFADE)
    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", name="Muselab")
    project = ET.SubElement(event, "project", name=p.title)
    sequence = ET.SubElement(project, "sequence", format="r1", duration=_rational(p.length, r), tcStart="0s",
                             tcFormat="NDF", audioLayout="stereo", audioRate="48k")
    spine = ET.SubElement(sequence, "spine")
    around = p.centred()
    offset = 0
    for i, (first, end) in enumerate(p.pieces):
        before = around[i - 1][0] if i > 0 else 0
        after = around[i][1] if i < len(around) else 0
        if i > 0 and p.fades[i - 1]:
            transition = ET.SubElement(spine, "transition", name="Cross Dissolve",
                                       offset=_rational(offset - around[i - 1][0], r),
                                       duration=_rational(p.fades[i - 1], r))
            ET.SubElement(transition, "filter-video", ref="r3", name="Cross Dissolve")
            if p.source.has_audio:
                ET.SubElement(transition, "filter-audio", ref="r4", name="Audio Crossfade")
        length = end - first - before - after
        ET.SubElement(spine, "asset-clip", ref="r2", name=f"{p.source.name} {i + 1}", offset=_rational(offset, r),
                      start=_rational(first + before, r), duration=_rational(length, r), format="r1",
                      tcFormat="NDF")
        offset += length
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


WRITERS = {"otio": write_otio, "cmx3600": write_cmx3600, "fcpxml": write_fcpxml}


def run(recipe: ExportEdlRecipe, ctx: Context) -> list[Output]:
    ctx.progress(0.0, "reading the cut")
    p = read_cut(ctx, recipe.cut_work_id)
    data = WRITERS[recipe.format](p)
    suffix, media_type = FORMATS[recipe.format]
    ctx.progress(1.0, "done")
    name = {"otio": "OpenTimelineIO", "cmx3600": "CMX 3600 EDL", "fcpxml": "FCPXML 1.9"}[recipe.format]
    return [Output(kind="data", media_type=media_type, data=data, title=f"{p.title} ({name})",
                   filename=f"{file_stem(p.title)}{suffix}", parents=[recipe.cut_work_id],
                   text=data.decode("utf-8") if recipe.format == "cmx3600" else None,
                   meta={"format": recipe.format, "source": p.source.work_id, "pieces": len(p.pieces),
                         "fps": float(p.rate), "frames": p.length})]
