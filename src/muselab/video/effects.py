"""video.edit: speed, colour grade or LUT, titles and lower thirds, fades, in the order asked, in one render.

All the ops become one ffmpeg filter graph over the video (and its sound), so the video is decoded once and
encoded once, however many ops there are. Each op works on the timeline as the ops before it left it: a title at
2 s after a 2× speed-up is at 2 s of the faster video.

- speed: `setpts` for the picture (then `fps` back to the source's frame rate: frames dropped when faster,
  repeated when slower), `atempo` for the sound (pitch kept), chained so each step stays within 0.5-2×, where
  atempo sounds best.
- grade: a named look (`grades.LOOKS`) or a checked .cube LUT Work (`lut3d`, tetrahedral).
- title / lower_third: a faded layer from `text_overlay` laid over the video from `start` for `duration`.
- fade: the picture from and to black (`fade`), the sound from and to silence (`afade`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from muselab.engines import Context, EngineError, Output
from muselab.video import grades, text_overlay
from muselab.video.ffmpeg import MediaInfo, probe_video
from muselab.video.graph import number, render
from muselab.video.recipe import EditRecipe, FadeOp, GradeOp, SpeedOp, TitleOp
from muselab.video.timeline import encoding_args


def tempo_chain(factor: float) -> list[str]:
    """atempo steps whose product is `factor`, each within 0.5-2 (where atempo keeps its quality)."""
    steps, rest = [], factor
    while rest > 2.0 + 1e-9:
        steps.append(2.0)
        rest /= 2.0
    while rest < 0.5 - 1e-9:
        steps.append(0.5)
        rest /= 0.5
    if abs(rest - 1.0) > 1e-9 or not steps:
        steps.append(rest)
    return [f"atempo={number(s)}" for s in steps]


@dataclass
class EditGraph:
    """An ffmpeg filter graph grown op by op: a video chain (cut where a layer is laid over it) and an audio chain."""

    has_audio: bool
    parts: list[str] = field(default_factory=list)
    video: list[str] = field(default_factory=list)  # filters since the last label
    audio: list[str] = field(default_factory=list)
    label: str = "0:v"
    count: int = 0

    def overlay(self, layer: str) -> None:
        self.count += 1
        main, top, out = f"m{self.count}", f"l{self.count}", f"o{self.count}"
        self.parts.append(f"[{self.label}]{','.join(self.video) or 'null'}[{main}]")
        self.parts.append(f"{layer}[{top}]")
        self.parts.append(f"[{main}][{top}]overlay=eof_action=pass:format=auto[{out}]")
        self.video, self.label = [], out

    def build(self) -> tuple[str, str, str | None]:
        parts = [*self.parts, f"[{self.label}]{','.join(self.video + ['format=yuv420p'])}[vout]"]
        if self.has_audio:
            parts.append(f"[0:a]{','.join(self.audio or ['anull'])}[aout]")
        return ";".join(parts), "[vout]", "[aout]" if self.has_audio else None


def plan(recipe: EditRecipe, info: MediaInfo, ctx: Context) -> tuple[EditGraph, float, list[str], list[dict]]:
    """The filter graph of the recipe's ops on a video described by `info`; also the result's duration, the LUT
    Works used and what each op did (for the Work's meta)."""
    fps = info.fps or 25.0
    graph = EditGraph(info.has_audio, video=["setpts=PTS-STARTPTS"], audio=["asetpts=PTS-STARTPTS"])
    duration, luts, done = info.duration, [], []
    files = text_overlay.TextFiles(ctx.workdir / "text")
    for i, op in enumerate(recipe.ops):
        where = f"ops[{i}]"
        if isinstance(op, SpeedOp):
            graph.video += [f"setpts=PTS/{number(op.factor)}", f"fps={number(fps)}"]
            graph.audio += tempo_chain(op.factor)
            duration /= op.factor
            done.append({"op": "speed", "factor": op.factor})
        elif isinstance(op, GradeOp):
            if op.lut_work_id:
                lut = ctx.input_path(op.lut_work_id)
                graph.video.append(grades.lut_filter(lut, ctx.workdir, field=f"{where}.lut_work_id"))
                luts.append(op.lut_work_id)
                done.append({"op": "grade", "lut_work_id": op.lut_work_id})
            else:
                graph.video.append(grades.look_filter(op.preset))
                done.append({"op": "grade", "preset": op.preset})
        elif isinstance(op, TitleOp):
            if op.start >= duration:
                raise EngineError(f"{where}.start: {op.start:g} s is past the end of the video ({duration:.2f} s "
                                  "at that point of the edit)")
            shown = min(op.duration, duration - op.start)
            if op.op == "title":
                layer = text_overlay.title_layer(op.text, files, info.width, info.height, fps, op.start, shown)
            else:
                layer = text_overlay.lower_third_layer(op.text, op.subtext, files, info.width, info.height, fps,
                                                       op.start, shown)
            graph.overlay(layer)
            done.append({"op": op.op, "text": op.text, "subtext": op.subtext, "start": op.start,
                         "end": round(op.start + shown, 3)})
        elif isinstance(op, FadeOp):
            if op.fade_in + op.fade_out > duration:
                raise EngineError(f"{where}: fade_in + fade_out ({op.fade_in + op.fade_out:g} s) is longer than the "
                                  f"video ({duration:.2f} s at that point of the edit)")
            last_frame = max(0.0, duration - 1 / fps)  # the fade ends on the last frame, which is then black
            if op.fade_in > 0:
                graph.video.append(f"fade=t=in:st=0:d={number(op.fade_in)}")
                graph.audio.append(f"afade=t=in:st=0:d={number(op.fade_in)}")
            if op.fade_out > 0:
                graph.video.append(f"fade=t=out:st={number(max(0.0, last_frame - op.fade_out))}"
                                   f":d={number(op.fade_out)}")
                graph.audio.append(f"afade=t=out:st={number(max(0.0, duration - op.fade_out))}"
                                   f":d={number(op.fade_out)}")
            done.append({"op": "fade", "fade_in": op.fade_in, "fade_out": op.fade_out})
    return graph, duration, luts, done


def run(recipe: EditRecipe, ctx: Context) -> list[Output]:
    source = ctx.input_path(recipe.video_work_id)
    info = probe_video(source)
    ctx.progress(0.0, "planning the edit")
    graph, duration, luts, done = plan(recipe, info, ctx)
    text, video, audio = graph.build()
    out = ctx.workdir / "edited.mp4"
    maps = ["-map", video] + (["-map", audio] if audio else [])
    render(ctx, ["-i", str(source), "-filter_complex", text, *maps, *encoding_args(recipe.encoding, bool(audio)),
                 str(out)], duration, (0.02, 0.99), "rendering the edit", what="rendering the edit")
    ctx.progress(1.0, "done")
    names = ", ".join(d["op"] for d in done)
    title = ctx.input_work(recipe.video_work_id).get("title") or "video"
    return [Output(kind="video", media_type="video/mp4", path=out, title=f"{Path(title).stem} · {names}",
                   meta={"ops": done, "duration": round(duration, 3), "width": info.width, "height": info.height},
                   parents=[recipe.video_work_id, *dict.fromkeys(luts)], tags=["edit"], filename="edited.mp4")]
