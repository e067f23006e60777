"""video.assemble: a short film from video clips and pictures, with transitions, captions, a title card and music.

`assemble_film(pieces, tracks, out, ...)` is the renderer; `run` only turns an AssembleRecipe into its inputs.
The storyboard (pictures + narration + music) calls the same function with its own pieces and tracks.

One ffmpeg run does it all:
- each video piece is its own input read from `start` for its length (input seeking: only what is shown is
  decoded), scaled and padded to the film's size and frame rate only when it differs;
- each picture is decoded once, fitted to the frame (cropped to fill when little is lost, else shown whole over a
  blurred copy of itself), then either held or moved with a slow Ken Burns zoom and pan (zoompan) whose
  direction comes from the recipe's seed;
- captions are drawn on their piece, so they cross with it in a transition; a title card opens the film;
- pieces are joined with xfade (the sound with acrossfade) overlapping by the transition, or concatenated (cut);
- the film's sound is the pieces' own sound plus narration tracks; music is looped or cut to the film's length,
  faded, and ducked under that sound with a sidechain compressor (as in video.sound).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from muselab.engines import Context, EngineError, Output
from muselab.video import mixing, text_overlay
from muselab.video.ffmpeg import MediaInfo, probe
from muselab.video.graph import media_kind, number, render
from muselab.video.recipe import AssembleRecipe, Encoding
from muselab.video.timeline import encoding_args

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5)}
TITLE_SECONDS = 3.0
DUCK_DB = 10.0  # how far music dips under the film's own sound and narration
MAX_CROP = 0.25  # a picture is cropped to fill the frame when this share of it or less is lost


@dataclass
class Piece:
    """One piece of the film: part of a video, a picture shown for a while, or a title card."""

    kind: str  # video | picture | card
    path: Path | None = None
    start: float = 0.0  # video: where it starts in the source
    duration: float = 4.0  # seconds on screen (video: end - start)
    ken_burns: bool = True  # picture: slow zoom and pan
    caption: str = ""
    text: str = ""  # card: its title
    work_id: str | None = None
    info: MediaInfo | None = None  # video and picture: what ffprobe said


@dataclass
class Track:
    """A sound laid under the film: music (looped or cut to the film, ducked) or a voice placed at `at`."""

    path: Path
    role: str = "music"  # music | voice
    at: float = 0.0
    gain_db: float = 0.0
    work_id: str | None = None


@dataclass
class Film:
    duration: float
    shots: list[dict] = field(default_factory=list)  # each piece with its time in the film


def frame_size(aspect: str, height: int) -> tuple[int, int]:
    w, h = ASPECTS[aspect]
    width = round(height * w / h / 2) * 2
    return width, height


def times(durations: list[float], transition: str, seconds: float, fps: int | None = None
          ) -> tuple[list[float], list[float]]:
    """Where each piece starts in the film, and each join's overlap (the first is 0); in whole frames with `fps`."""
    starts, overlaps, position = [], [], 0.0
    for i, d in enumerate(durations):
        overlap = 0.0 if i == 0 or transition == "cut" else min(seconds, durations[i - 1] / 3, d / 3)
        if fps:
            overlap = round(overlap * fps) / fps
        position -= overlap
        starts.append(position)
        overlaps.append(overlap)
        position += d
    return starts, overlaps


def _motion(seed: int, index: int) -> tuple[float, float, float, float, float, float]:
    """A Ken Burns move (zoom from, zoom to, pan x from/to, pan y from/to as 0-1 of the free room), from the seed."""
    rng = random.Random(f"{seed}:{index}")
    amount = rng.uniform(1.12, 1.22)
    z0, z1 = (1.0, amount) if rng.random() < 0.6 else (amount, 1.0)
    x0, x1 = rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85)
    y0, y1 = rng.uniform(0.25, 0.75), rng.uniform(0.25, 0.75)
    return z0, z1, x0, x1, y0, y1


def _picture_base(label: str, info: MediaInfo, width: int, height: int, out: str) -> list[str]:
    """The picture fitted to a width x height frame: cropped to fill, or whole over a blurred, darker copy."""
    fmt = "format=yuv420p,setsar=1"
    src_w, src_h = max(1, info.width), max(1, info.height)
    kept = min(src_w / src_h / (width / height), (width / height) / (src_w / src_h))
    cover = f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=bicubic,crop={width}:{height}"
    if kept >= 1 - MAX_CROP:
        return [f"[{label}]trim=end_frame=1,{cover},{fmt}[{out}]"]
    blur = max(4, height // 30)
    return [f"[{label}]trim=end_frame=1,{fmt},split[{out}a][{out}b]",
            f"[{out}a]{cover},boxblur={blur}:2,eq=brightness=-0.12:saturation=0.8[{out}bg]",
            f"[{out}b]scale={width}:{height}:force_original_aspect_ratio=decrease:flags=bicubic,setsar=1[{out}fg]",
            f"[{out}bg][{out}fg]overlay=(W-w)/2:(H-h)/2,{fmt}[{out}]"]


def _picture(i: int, piece: Piece, label: str, width: int, height: int, fps: int, seed: int) -> list[str]:
    frames = max(1, round(piece.duration * fps))
    if not piece.ken_burns:
        base = _picture_base(label, piece.info, width, height, f"p{i}")
        return base + [f"[p{i}]loop=loop={frames - 1}:size=1:start=0,setpts=N/({fps}*TB)[pv{i}]"]
    # Moved at twice the frame size: zoompan crops whole input pixels, so a finer grid moves more smoothly.
    base = _picture_base(label, piece.info, width * 2, height * 2, f"p{i}")
    z0, z1, x0, x1, y0, y1 = _motion(seed, i)
    last = max(1, frames - 1)
    progress = f"(on/{last})"
    zoom = f"{number(z0)}+{number(z1 - z0)}*{progress}"
    x = f"(iw-iw/zoom)*({number(x0)}+{number(x1 - x0)}*{progress})"
    y = f"(ih-ih/zoom)*({number(y0)}+{number(y1 - y0)}*{progress})"
    return base + [f"[p{i}]zoompan=z='{zoom}':x='{x}':y='{y}':d={frames}:s={width}x{height}:fps={fps},"
                   f"setsar=1[pv{i}]"]


def _video(piece: Piece, label: str, width: int, height: int, fps: int, out: str) -> list[str]:
    info = piece.info
    chain = ["setpts=PTS-STARTPTS"]
    if (info.width, info.height) != (width, height):
        chain += [f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2",
                  f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black"]
    if abs((info.fps or 0) - fps) > 0.01:
        chain.append(f"fps={fps}")
    # a clone of the last frame covers a stream a little shorter than its container; then cut to the exact length
    chain += ["setsar=1", "format=yuv420p", "tpad=stop_mode=clone:stop_duration=0.5",
              f"trim=end_frame={max(1, round(piece.duration * fps))}"]
    return [f"[{label}]{','.join(chain)}[{out}]"]


def assemble_film(ctx: Context, pieces: list[Piece], tracks: list[Track], out: Path, *, width: int, height: int,
                  fps: int, transition: str = "fade", transition_seconds: float = 0.6, seed: int = 0,
                  encoding: Encoding | None = None, duck_db: float = DUCK_DB,
                  span: tuple[float, float] = (0.02, 0.99)) -> Film:
    """Render `pieces` joined by `transition` with `tracks` under them to `out` (MP4); returns the film's timing."""
    if not pieces:
        raise EngineError("shots: the film needs at least one shot")
    encoding = encoding or Encoding()
    for piece in pieces:  # whole frames, so every offset below falls on a frame
        piece.duration = max(1, round(piece.duration * fps)) / fps
    durations = [p.duration for p in pieces]
    starts, overlaps = times(durations, transition, transition_seconds, fps)
    length = starts[-1] + durations[-1]
    files = text_overlay.TextFiles(ctx.workdir / "text", "caption")
    args: list[str] = []
    parts: list[str] = []
    sounds: list[str] = []  # each piece's sound label, or None
    has_piece_sound = any(p.kind == "video" and p.info and p.info.has_audio for p in pieces)
    n_inputs = 0
    for i, piece in enumerate(pieces):
        if piece.kind == "video":
            args += ["-ss", number(piece.start), "-t", number(piece.duration + 0.5 / fps), "-i", str(piece.path)]
            parts += _video(piece, f"{n_inputs}:v", width, height, fps, f"pv{i}")
            source = f"{n_inputs}:a" if piece.info.has_audio else None
            n_inputs += 1
        elif piece.kind == "picture":
            args += ["-i", str(piece.path)]
            parts += _picture(i, piece, f"{n_inputs}:v", width, height, fps, seed)
            source = None
            n_inputs += 1
        else:  # title card: a dark frame with the title fading in and out
            parts.append(f"color=c=0x0c0c10:s={width}x{height}:r={fps}:d={number(piece.duration)},format=yuv420p"
                         f",setsar=1[card{i}]")
            layer = text_overlay.title_layer(piece.text, files, width, height, fps, 0.0, piece.duration, fade=0.8)
            parts += [f"{layer}[cardt{i}]", f"[card{i}][cardt{i}]overlay=eof_action=pass,format=yuv420p[pv{i}]"]
            source = None
        captions = text_overlay.caption_filters(piece.caption, files, width, height) if piece.caption.strip() else []
        parts.append(f"[pv{i}]{','.join([*captions, f'settb=1/{fps}'])}[v{i}]")
        if has_piece_sound:
            if source:
                parts.append(f"[{source}]{mixing.fit_length(piece.duration)}[a{i}]")
            else:
                parts.append(f"anullsrc=r={mixing.RATE}:cl=stereo,atrim=duration={number(piece.duration)}[a{i}]")
            sounds.append(f"a{i}")

    # join the pieces
    if len(pieces) == 1:
        video, sound = "v0", sounds[0] if sounds else None
    elif transition == "cut":
        inputs = "".join(f"[v{i}]" + (f"[a{i}]" if sounds else "") for i in range(len(pieces)))
        parts.append(f"{inputs}concat=n={len(pieces)}:v=1:a={1 if sounds else 0}[vj]" + ("[aj]" if sounds else ""))
        video, sound = "vj", "aj" if sounds else None
    else:
        video, sound = "v0", sounds[0] if sounds else None
        for i in range(1, len(pieces)):
            parts.append(f"[{video}][v{i}]xfade=transition={transition}:duration={number(overlaps[i])}"
                         f":offset={number(starts[i])}[vx{i}]")
            video = f"vx{i}"
            if sounds:
                parts.append(f"[{sound}][a{i}]acrossfade=d={number(overlaps[i])}[ax{i}]")
                sound = f"ax{i}"

    # voices join the pieces' sound (the foreground); music goes under it, ducked
    voices = [t for t in tracks if t.role == "voice"]
    music = [t for t in tracks if t.role == "music"]
    foreground = [sound] if sound else []
    for k, track in enumerate(voices):
        args += ["-i", str(track.path)]
        delay = round(track.at * 1000)
        parts.append(f"[{n_inputs}:a]{mixing.FORMAT},volume={number(track.gain_db)}dB,adelay={delay}:all=1,"
                     f"apad=whole_dur={number(length)},atrim=end={number(length)}[voice{k}]")
        foreground.append(f"voice{k}")
        n_inputs += 1
    if len(foreground) > 1:
        parts.append("".join(f"[{f}]" for f in foreground) + f"amix=inputs={len(foreground)}:normalize=0[fg]")
        foreground = ["fg"]
    beds = []
    for k, track in enumerate(music):
        args += ["-stream_loop", "-1", "-i", str(track.path)]
        parts.append(mixing.bed(f"{n_inputs}:a", length, track.gain_db) + f"[bed{k}]")
        beds.append(f"bed{k}")
        n_inputs += 1
    if len(beds) > 1:
        parts.append("".join(f"[{b}]" for b in beds) + f"amix=inputs={len(beds)}:normalize=0[beds]")
        beds = ["beds"]
    if beds and foreground:
        parts.append(f"[{foreground[0]}]asplit=2[fgmix][fgkey]")
        parts += mixing.duck(beds[0], "fgkey", "ducked", duck_db)
        parts.append("[fgmix][ducked]amix=inputs=2:normalize=0:duration=first[aout]")
        sound = "aout"
    elif beds:
        sound = beds[0]
    elif foreground:
        sound = foreground[0]
    else:
        sound = None

    maps = ["-map", f"[{video}]"] + (["-map", f"[{sound}]"] if sound else [])
    render(ctx, [*args, "-filter_complex", ";".join(parts), *maps,
                 *encoding_args(encoding, bool(sound)), "-t", number(length), str(out)],
           length, span, "rendering the film", what="rendering the film")
    shots = []
    for piece, start, d in zip(pieces, starts, durations, strict=True):
        shot = {"kind": piece.kind, "at": round(start, 3), "until": round(start + d, 3)}
        if piece.work_id:
            shot["work_id"] = piece.work_id
        if piece.kind == "video":
            shot.update(start=round(piece.start, 3), end=round(piece.start + d, 3))
        if piece.caption:
            shot["caption"] = piece.caption
        if piece.kind == "card":
            shot["title"] = piece.text
        shots.append(shot)
    return Film(round(length, 3), shots)


def pieces_of(recipe: AssembleRecipe, ctx: Context) -> list[Piece]:
    """The recipe's shots as pieces (each input probed once, however many shots it gives: a video's range checked,
    a picture's size read)."""
    pieces, seen = [], {}
    if recipe.title.strip():
        pieces.append(Piece("card", duration=TITLE_SECONDS, text=recipe.title))
    for i, shot in enumerate(recipe.shots):
        where = f"shots[{i}]"
        if shot.work_id not in seen:
            path = ctx.input_path(shot.work_id)
            kind = media_kind(ctx, shot.work_id, path, probe_if_unsure=False)
            info = probe(path, f"{where}.work_id") if kind in ("video", "picture", None) else None
            if kind is None:  # nothing said what it is: the probe decides
                kind = "video" if info.has_video and info.duration > 0 and not info.format.endswith("_pipe") \
                    else "audio" if info.has_audio else "picture"
            seen[shot.work_id] = (path, kind, info)
        path, kind, info = seen[shot.work_id]
        if kind == "video":
            if not info.has_video or info.duration <= 0:
                raise EngineError(f"{where}.work_id: the file has no video stream with a duration")
            end = info.duration if shot.end is None else shot.end
            if shot.start >= info.duration:
                raise EngineError(f"{where}.start: {shot.start:g} s is past the end of the video "
                                  f"({info.duration:.2f} s)")
            if end > info.duration + 0.05:
                raise EngineError(f"{where}.end: {end:g} s is past the end of the video ({info.duration:.2f} s)")
            end = min(end, info.duration)
            if end - shot.start < 0.2:
                raise EngineError(f"{where}: end must be at least 0.2 s after start (got {shot.start:g}-{end:g})")
            pieces.append(Piece("video", path, shot.start, end - shot.start, caption=shot.caption,
                                work_id=shot.work_id, info=info))
        elif kind == "picture":
            if not info.width or not info.height:
                raise EngineError(f"{where}.work_id: the picture could not be read")
            pieces.append(Piece("picture", path, duration=shot.duration, ken_burns=shot.ken_burns,
                                caption=shot.caption, work_id=shot.work_id, info=info))
        else:
            raise EngineError(f"{where}.work_id: a shot is a video or a picture Work, not {kind}")
    return pieces


def run(recipe: AssembleRecipe, ctx: Context) -> list[Output]:
    ctx.progress(0.0, "reading the shots")
    width, height = frame_size(recipe.aspect, recipe.height)
    pieces = pieces_of(recipe, ctx)
    tracks = []
    if recipe.music_work_id:
        tracks.append(Track(mixing.music_file(ctx, recipe.music_work_id), "music", gain_db=recipe.music_db,
                            work_id=recipe.music_work_id))
    out = ctx.workdir / "film.mp4"
    film = assemble_film(ctx, pieces, tracks, out, width=width, height=height, fps=recipe.fps,
                         transition=recipe.transition, transition_seconds=recipe.transition_seconds,
                         seed=recipe.seed or 0, encoding=recipe.encoding)
    ctx.progress(1.0, "done")
    parents = list(dict.fromkeys([s.work_id for s in recipe.shots]
                                 + ([recipe.music_work_id] if recipe.music_work_id else [])))
    meta = {"duration": film.duration, "width": width, "height": height, "fps": recipe.fps,
            "transition": recipe.transition, "shots": film.shots, "music": recipe.music_work_id}
    return [Output(kind="video", media_type="video/mp4", path=out, title=recipe.title or "film", meta=meta,
                   parents=parents, tags=["assemble"], filename="film.mp4")]
