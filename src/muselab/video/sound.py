"""video.sound: a music bed under the video, ducked under its speech, loudness normalised, faded.

Two passes over the sound only; the picture is copied, never re-encoded:
1. measure: the whole mix (video sound + music looped or cut to the video's length, at music_db, lowered by
   duck_db while the video's own sound plays) through loudnorm, which prints its EBU R128 measurement;
2. render: the same mix with loudnorm applying the measured gain linearly (so the result lands on
   loudness_lufs without pumping), the soundtrack faded in and out, the picture stream copied.
A MIDI Work is rendered to audio with the music studio's renderer first.
"""

from __future__ import annotations

from pathlib import Path

from muselab.engines import Context, EngineError, Output
from muselab.video import mixing
from muselab.video.ffmpeg import probe_video
from muselab.video.graph import number, render
from muselab.video.recipe import SoundRecipe


def mix_graph(has_voice: bool, has_music: bool, length: float, recipe: SoundRecipe) -> str:
    """The mix up to (not including) loudness: input 0 is the video, input 1 the looped music; ends in [mix]."""
    parts = []
    if has_voice:
        split = "asplit=2[voice][key]" if has_music and recipe.duck else "anull[voice]"
        parts.append(f"[0:a]{mixing.fit_length(length)},{split}")
    if has_music:
        parts.append(mixing.bed("1:a", length, recipe.music_db, fade_in=0, fade_out=0) + "[bed]")
        if has_voice and recipe.duck:
            parts += mixing.duck("bed", "key", "ducked", recipe.duck_db)
            music = "ducked"
        else:
            music = "bed"
        if has_voice:
            parts.append(f"[voice][{music}]amix=inputs=2:normalize=0:duration=first[mix]")
        else:
            parts.append(f"[{music}]anull[mix]")
    else:
        parts.append("[voice]anull[mix]")
    return ";".join(parts)


def run(recipe: SoundRecipe, ctx: Context) -> list[Output]:
    source = ctx.input_path(recipe.video_work_id)
    info = probe_video(source)
    if not info.has_audio and not recipe.music_work_id:
        raise EngineError("music_work_id: the video has no sound, so there is nothing to mix or normalise; give a "
                          "music Work")
    length = info.duration
    if recipe.fade_in + recipe.fade_out > length:
        raise EngineError(f"fade_in + fade_out ({recipe.fade_in + recipe.fade_out:g} s) is longer than the video "
                          f"({length:.2f} s)")
    ctx.progress(0.0, "preparing the music")
    inputs = ["-i", str(source)]
    if recipe.music_work_id:
        music = mixing.music_file(ctx, recipe.music_work_id)
        inputs += ["-stream_loop", "-1", "-i", str(music)]
    graph = mix_graph(info.has_audio, bool(recipe.music_work_id), length, recipe)

    log = mixing.analyse(ctx, [*inputs, "-filter_complex", f"{graph};[mix]{mixing.measure_filter(recipe.loudness_lufs)}"
                               "[measured]", "-map", "[measured]", "-f", "null", "-"],
                         length, (0.03, 0.35), "measuring the loudness")
    measured = mixing.parse_loudness(log)

    final = [measured.apply(recipe.loudness_lufs)]
    if recipe.fade_in > 0:
        final.append(f"afade=t=in:st=0:d={number(recipe.fade_in)}")
    if recipe.fade_out > 0:
        final.append(f"afade=t=out:st={number(length - recipe.fade_out)}:d={number(recipe.fade_out)}")
    out = ctx.workdir / "sound.mp4"
    render(ctx, [*inputs, "-filter_complex", f"{graph};[mix]{','.join(final)}[aout]",
                 "-map", "0:v:0", "-map", "[aout]", "-c:v", "copy", "-c:a", "aac", "-b:a", "192k",
                 "-t", number(length), "-movflags", "+faststart", str(out)],
           length, (0.35, 0.99), "mixing the sound", what="mixing the sound")
    ctx.progress(1.0, "done")
    title = ctx.input_work(recipe.video_work_id).get("title") or "video"
    meta = {"loudness_target": recipe.loudness_lufs, "measured_before": measured.__dict__,
            "music": recipe.music_work_id, "music_db": recipe.music_db,
            "duck_db": recipe.duck_db if recipe.duck and info.has_audio and recipe.music_work_id else 0,
            "duration": length}
    return [Output(kind="video", media_type="video/mp4", path=out, title=f"{Path(title).stem} · sound",
                   meta=meta, parents=[recipe.video_work_id] + ([recipe.music_work_id] if recipe.music_work_id else []),
                   tags=["sound"], filename="sound.mp4")]
