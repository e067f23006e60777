"""The library on SQLite and PostgreSQL alike: CRUD, tags, boards, search (English and Chinese), restore/remix."""

import pytest

from muselab.errors import InvalidInput, NotFound
from muselab.library.store import NewWork, WorkFilter


def add_text(studio, text, title="", **kw):
    return studio.library.add(NewWork(kind="text", media_type="text/plain; charset=utf-8", data=text.encode(),
                                      title=title, **kw))


def test_add_get_and_bytes_round_trip(studio):
    work = add_text(studio, "床前明月光，疑是地上霜。", title="静夜思", tags=["唐诗", "moon"])
    got = studio.library.get(work.id)
    assert got.title == "静夜思" and got.kind == "text" and got.size == len("床前明月光，疑是地上霜。".encode())
    assert studio.library.content_path(got).read_text() == "床前明月光，疑是地上霜。"
    assert sorted(t.tag for t in got.tags) == ["moon", "唐诗"]
    assert got.text_content.startswith("床前")


def test_same_bytes_stored_once_and_kept_until_last_work_goes(studio):
    a = add_text(studio, "same words")
    b = add_text(studio, "same words")
    assert a.sha256 == b.sha256 and a.id != b.id
    path = studio.library.content_path(a)
    studio.library.delete(a.id)
    assert path.exists(), "b still needs the bytes"
    studio.library.delete(b.id)
    assert not path.exists()
    with pytest.raises(NotFound):
        studio.library.get(a.id)


def test_tags_star_rating_title(studio):
    w = add_text(studio, "x")
    studio.library.tag(w.id, add=["a", "b"])
    studio.library.tag(w.id, add=["c"], remove=["a"])
    studio.library.star(w.id)
    studio.library.rate(w.id, 4)
    studio.library.set_title(w.id, "新标题")
    got = studio.library.get(w.id)
    assert sorted(t.tag for t in got.tags) == ["b", "c"]
    assert got.starred and got.rating == 4 and got.title == "新标题"
    assert studio.library.list(WorkFilter(tag="c"))[1] == 1
    assert studio.library.list(WorkFilter(tag="a"))[1] == 0
    assert studio.library.list(WorkFilter(starred=True))[1] == 1
    assert studio.library.list(WorkFilter(query="新标题"))[1] == 1
    with pytest.raises(InvalidInput):
        studio.library.rate(w.id, 9)


@pytest.mark.parametrize("bad", ["../etc", "a/b", "a\\b", "", "x" * 101, "tab\there"])
def test_bad_tag_names_are_refused_and_nothing_changes(studio, bad):
    w = add_text(studio, "x", tags=["keep"])
    with pytest.raises(InvalidInput) as err:
        studio.library.tag(w.id, add=[bad])
    assert err.value.field == "tag"
    assert [t.tag for t in studio.library.get(w.id).tags] == ["keep"]


def test_boards(studio):
    a, b = add_text(studio, "a"), add_text(studio, "b")
    studio.library.add_to_board("海报 posters", [a.id, b.id])
    studio.library.add_to_board("海报 posters", [a.id])  # twice is once
    assert studio.library.boards()[0]["works"] == 2
    assert studio.library.list(WorkFilter(board="海报 posters"))[1] == 2
    studio.library.remove_from_board("海报 posters", [b.id])
    assert [w.id for w in studio.library.list(WorkFilter(board="海报 posters"))[0]] == [a.id]
    with pytest.raises(NotFound):
        studio.library.remove_from_board("nope", [a.id])


def test_search_english_chinese_and_filters(studio):
    poem = add_text(studio, "空山新雨后，天气晚来秋。秋风萧瑟天气凉。", title="山居秋暝")
    story = add_text(studio, "The autumn wind carried the letters away.", title="Letters")
    image = studio.library.add(NewWork(kind="image", media_type="image/png", data=b"not really a png",
                                       title="poster", recipe={"prompt": "mountain mist 水墨山水"}, task="demo.text"))
    find = lambda q, **kw: {w.id for w in studio.library.list(WorkFilter(query=q, **kw))[0]}  # noqa: E731
    assert find("秋风") == {poem.id}
    assert find("秋") == {poem.id}
    assert find("天气凉") == {poem.id}
    assert find("autumn") == {story.id}
    assert find("AUTUMN wind") == {story.id}
    assert find("lett") == {story.id}  # prefix search on words
    assert find("水墨") == {image.id}  # prompts in the recipe are searched
    assert find("mountain", kind="image") == {image.id}
    assert find("mountain", kind="text") == set()
    assert find("冬雪") == set()
    with pytest.raises(InvalidInput):
        studio.library.list(WorkFilter(query="！？"))


def test_list_is_newest_first_with_paging(studio):
    ids = [add_text(studio, f"n{i}").id for i in range(5)]
    page1, total = studio.library.list(WorkFilter(limit=2))
    page3, _ = studio.library.list(WorkFilter(limit=2, offset=4))
    assert total == 5
    assert [w.id for w in page1] == ids[::-1][:2]
    assert [w.id for w in page3] == [ids[0]]


def test_restore_and_remix(studio):
    job, _ = studio.submit("demo.text", {"prompt": "月光", "steps": 2, "step_seconds": 0, "seed": 42})
    done = studio.run_here(job.id)
    work_id = done.work_ids[0]
    restored = studio.library.restore(work_id)
    assert restored == {"task": "demo.text", "recipe": {"seed": 42, "prompt": "月光", "steps": 2,
                                                         "step_seconds": 0.0, "fail_at_step": None}}
    again = studio.run_here(studio.submit(restored["task"], restored["recipe"])[0].id)
    assert studio.library.get(again.work_ids[0]).sha256 == studio.library.get(work_id).sha256, "same seed, same text"
    remix = studio.library.remix(work_id)
    assert remix["recipe"]["seed"] != 42 and {**remix["recipe"], "seed": 42} == restored["recipe"]
    human = add_text(studio, "mine", authorship="human")
    with pytest.raises(InvalidInput):
        studio.library.restore(human.id)


def test_links_and_children(studio):
    parent = add_text(studio, "parent")
    child = add_text(studio, "child", parents=[parent.id])
    assert [link.parent_id for link in studio.library.get(child.id).parent_links] == [parent.id]
    assert studio.library.children_of(parent.id) == [child.id]
    studio.library.delete(parent.id)  # history stays on the child
    assert [link.parent_id for link in studio.library.get(child.id).parent_links] == [parent.id]


def test_image_work_gets_a_thumbnail(studio):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (900, 600), (200, 80, 40)).save(buf, format="PNG")
    w = studio.library.add(NewWork(kind="image", media_type="image/png", data=buf.getvalue(), title="red"))
    thumb = Image.open(studio.library.blobs.path(w.thumb_sha256))
    assert max(thumb.size) == 320 and thumb.getpixel((10, 10))[:3] == (200, 80, 40)
