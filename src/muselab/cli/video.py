"""`muselab video …`: import, scenes, autocut, highlights, reframe, edit, assemble, subtitles, transcribe, sound,
export. Thin: options become a Recipe (unset options leave the recipe's defaults), the job runs here."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from muselab.cli.common import JSON, OUT, console, fail, guarded, print_json, print_works, run_job, studio, work_ref
from muselab.library.store import work_to_dict

video_app = typer.Typer(help="Video: find scenes, cut, summarise, reframe, effects, subtitles, sound. 视频",
                        no_args_is_help=True)

VIDEO = typer.Argument(..., help="A video file (imported first) or a video Work id.")
CRF = typer.Option(None, help="Quality (x264 CRF, 18-23 looks good; lower is larger).")


def register(app: typer.Typer) -> None:
    app.add_typer(video_app, name="video")


def _video(ref: str) -> str:
    from muselab.video.importer import import_check, media_type_for

    settings = studio().settings
    return work_ref(ref, "VIDEO", media_type=media_type_for(ref, None), check=import_check(settings.max_video_minutes))


def _encoding(crf: int | None) -> dict:
    return {"encoding": {"crf": crf}} if crf is not None else {}


@video_app.command("import")
def import_(path: Path = typer.Argument(..., exists=True, dir_okay=False), title: str = typer.Option(None),
            json_output: bool = JSON):
    """Keep a video (MP4, MOV, WebM, MKV) in the library after probing it. 导入"""
    from muselab.video.importer import import_check, media_type_for

    settings = studio().settings
    work = guarded(studio().upload, path, path.name, media_type=media_type_for(path.name, None), title=title,
                   check=import_check(settings.max_video_minutes))
    if json_output:
        print_json(work_to_dict(work))
        return
    probe = (work.meta or {}).get("probe", {})
    sound = "" if probe.get("audio_codec") else ", no sound"
    console.print(f"[green]✓[/] video {work.id}  {work.title}  {probe.get('width')}x{probe.get('height')} "
                  f"{probe.get('fps')} fps, {probe.get('duration')} s{sound}")


@video_app.command()
def scenes(video: str = VIDEO,
           detector: str = typer.Option(None, help="content, adaptive, threshold or histogram."),
           threshold: float = typer.Option(None, help="The detector's threshold (empty: its default)."),
           gradual: bool = typer.Option(None, "--gradual/--no-gradual", help="Also find dissolves and fades."),
           min_scene: float = typer.Option(None, "--min-scene", help="Shortest scene, in seconds."),
           split: str = typer.Option(None, help="none, copy (fast) or precise (re-encoded): one clip per scene."),
           out: Path = OUT, json_output: bool = JSON):
    """Find the shots: a scene list (JSON, CSV), thumbnails and a contact sheet. 分镜"""
    run_job("video.scenes", {"video_work_id": _video(video), "detector": detector, "threshold": threshold,
                             "gradual": gradual, "min_scene_seconds": min_scene, "split": split},
            json_output=json_output, out=out, summary=_scene_summary)


def _scene_summary(works: list[dict], out: Path | None) -> None:
    print_works(works, out)
    for w in works:
        found = (w.get("meta") or {}).get("scenes")
        if found:
            console.print(f"  {len(found)} scenes: " + "  ".join(
                f"{s['start']:.2f}-{s['end']:.2f}{'~' if s.get('transition') != 'cut' else ''}" for s in found[:12])
                + (" …" if len(found) > 12 else ""))


@video_app.command()
def autocut(video: str = VIDEO,
            black: bool = typer.Option(None, "--black/--keep-black", help="Cut black stretches."),
            frozen: bool = typer.Option(None, "--frozen/--keep-frozen", help="Cut frozen stretches."),
            silence: bool = typer.Option(None, "--silence/--keep-silence", help="Cut silent stretches."),
            silence_db: float = typer.Option(None, help="Audio below this (dB) is silence."),
            min_silence: float = typer.Option(None, help="Shortest silence cut, in seconds."),
            jump_cut: bool = typer.Option(None, "--jump-cut", help="Talk mode: cut every pause."),
            crf: int = CRF, out: Path = OUT, json_output: bool = JSON):
    """Cut out black, frozen and silent stretches (or every pause, for talks). 自动剪辑"""
    run_job("video.autocut", {"video_work_id": _video(video), "remove_black": black, "remove_frozen": frozen,
                              "remove_silence": silence, "silence_db": silence_db,
                              "silence_min_seconds": min_silence, "jump_cut": jump_cut, **_encoding(crf)},
            json_output=json_output, out=out)


@video_app.command()
def highlights(video: str = VIDEO, seconds: float = typer.Option(None, help="Length of the summary."),
               trailer: bool = typer.Option(None, "--trailer", help="Short energetic shots (a trailer)."),
               crossfade: float = typer.Option(None, help="Crossfade between scenes, in seconds."),
               crf: int = CRF, out: Path = OUT, json_output: bool = JSON):
    """The best scenes, in order, to a length: a summary or a trailer. 精彩片段"""
    run_job("video.highlights", {"video_work_id": _video(video), "target_seconds": seconds,
                                 "mode": "trailer" if trailer else None, "crossfade_seconds": crossfade,
                                 **_encoding(crf)}, json_output=json_output, out=out)


@video_app.command()
def reframe(video: str = VIDEO, aspect: str = typer.Option(None, help="9:16, 1:1 or 4:5."),
            smoothing: float = typer.Option(None, help="How slowly the crop follows the subject (seconds)."),
            height: int = typer.Option(None, help="Output height in pixels."),
            crf: int = CRF, out: Path = OUT, json_output: bool = JSON):
    """Crop to a vertical or square shape that follows the moving subject. 重构画幅"""
    run_job("video.reframe", {"video_work_id": _video(video), "aspect": aspect, "smoothing_seconds": smoothing,
                              "height": height, **_encoding(crf)}, json_output=json_output, out=out)


@video_app.command()
def edit(video: str = VIDEO,
         speed: float = typer.Option(None, help="Playback speed (0.25-4)."),
         grade: str = typer.Option(None, help="Colour grade: warm cool film mono vivid faded teal_orange."),
         lut: str = typer.Option(None, help="A .cube LUT file or Work id (instead of --grade)."),
         title: str = typer.Option(None, help="A title over the start."),
         lower_third: str = typer.Option(None, "--lower-third", help="A name or caption in the lower third."),
         fade: float = typer.Option(None, help="Fade in and out, in seconds."),
         crf: int = CRF, out: Path = OUT, json_output: bool = JSON):
    """Speed, colour grade or LUT, titles and lower thirds, fades (in that order). 特效"""
    ops: list[dict] = []
    if speed is not None:
        ops.append({"op": "speed", "factor": speed})
    if grade or lut:
        ops.append({"op": "grade", **({"preset": grade} if grade else {}),
                    **({"lut_work_id": work_ref(lut, "--lut")} if lut else {})})
    if title:
        ops.append({"op": "title", "text": title})
    if lower_third:
        ops.append({"op": "lower_third", "text": lower_third, "start": 1.0, "duration": 4.0})
    if fade is not None:
        ops.append({"op": "fade", "fade_in": fade, "fade_out": fade})
    if not ops:
        fail("give at least one effect: --speed, --grade, --lut, --title, --lower-third or --fade")
    run_job("video.edit", {"video_work_id": _video(video), "ops": ops, **_encoding(crf)}, json_output=json_output,
            out=out)


@video_app.command()
def assemble(shots: list[str] = typer.Argument(..., help="Videos or pictures (files or Work ids), in order; "
                                               "or one JSON file with the recipe's shots."),
             transition: str = typer.Option(None, help="fade, dissolve, wipeleft, slideright, circleopen, … or cut."),
             music: str = typer.Option(None, help="Music under the film: an audio/MIDI file or Work id."),
             title: str = typer.Option(None, help="A title card at the start."),
             aspect: str = typer.Option(None, help="16:9, 9:16, 1:1 or 4:5."),
             seconds: float = typer.Option(None, "--picture-seconds", help="How long each picture shows."),
             crf: int = CRF, out: Path = OUT, json_output: bool = JSON):
    """Join clips and pictures (with a slow Ken Burns move) with transitions and music: a short film. 合成"""
    if len(shots) == 1 and shots[0].endswith(".json") and Path(shots[0]).is_file():
        items = json.loads(Path(shots[0]).read_text(encoding="utf-8"))
    else:
        items = [{"work_id": work_ref(ref, "SHOTS"), **({"duration": seconds} if seconds else {})} for ref in shots]
    run_job("video.assemble", {"shots": items, "transition": transition, "title": title, "aspect": aspect,
                               "music_work_id": work_ref(music, "--music") if music else None, **_encoding(crf)},
            json_output=json_output, out=out)


@video_app.command()
def subtitles(video: str = VIDEO,
              subtitle_file: str = typer.Option(None, "--file", help="An SRT, VTT or ASS file or Work id; "
                                                "without it, speech is transcribed."),
              language: str = typer.Option(None, help="Speech language (zh, en…) for transcription."),
              soft: bool = typer.Option(False, "--soft", help="A subtitle track instead of burned-in text."),
              crf: int = CRF, out: Path = OUT, json_output: bool = JSON):
    """Add subtitles (CJK font), burned in or as a soft track. 字幕"""
    run_job("video.subtitles", {"video_work_id": _video(video), "language": language, "burn": not soft,
                                "subtitle_work_id": work_ref(subtitle_file, "--file") if subtitle_file else None,
                                **_encoding(crf)}, json_output=json_output, out=out)


@video_app.command()
def transcribe(video: str = VIDEO, language: str = typer.Option(None, help="zh, en…; empty: detected."),
               out: Path = OUT, json_output: bool = JSON):
    """Subtitles from speech with Whisper: SRT, WebVTT and word timings. 语音转字幕"""
    run_job("video.transcribe", {"video_work_id": _video(video), "language": language}, json_output=json_output,
            out=out)


@video_app.command()
def sound(video: str = VIDEO, music: str = typer.Option(None, help="An audio/MIDI file or Work id."),
          music_db: float = typer.Option(None, help="Music level in dB."),
          duck: bool = typer.Option(None, "--duck/--no-duck", help="Lower the music under speech."),
          loudness: float = typer.Option(None, help="Loudness target in LUFS (-16 web, -23 broadcast)."),
          crf: int = CRF, out: Path = OUT, json_output: bool = JSON):
    """Music under the video, ducked under speech; loudness normalised; fades. 配乐"""
    run_job("video.sound", {"video_work_id": _video(video), "music_work_id": work_ref(music, "--music")
                            if music else None, "music_db": music_db, "duck": duck, "loudness_lufs": loudness,
                            **_encoding(crf)}, json_output=json_output, out=out)


@video_app.command("export")
def export(cut: str = typer.Argument(..., help="A video Work made by autocut, highlights or assemble."),
           format: str = typer.Option(None, help="otio, cmx3600 (EDL) or fcpxml."),
           out: Path = OUT, json_output: bool = JSON):
    """The cut as an edit list a desktop editor opens (OpenTimelineIO, EDL, FCPXML). 导出剪辑表"""
    run_job("video.export_edl", {"cut_work_id": cut, "format": format}, json_output=json_output, out=out)
