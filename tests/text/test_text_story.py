"""Story tools: lorebook activation, the author's note, and context assembly within a token budget."""

import json

import pytest

from muselab.text.story import (
    LoreEntry,
    StoryProject,
    active_lore,
    assemble,
    export_lorebook,
    import_lorebook,
    insert_author_note,
)


def words(text: str) -> int:
    """A stand-in tokenizer for these unit tests: one token per word or Chinese character."""
    import re
    return len(re.findall(r"[\u4e00-\u9fff]|[A-Za-z0-9']+|[^\sA-Za-z0-9\u4e00-\u9fff]", text))


def plain(context: str, story: str) -> str:
    return f"{context}\n\n{story}" if context else story


LORE = [
    LoreEntry(keys=["Mira"], content="Mira is a lighthouse keeper who hates the sea.", name="Mira"),
    LoreEntry(keys=["lighthouse", "beacon"], content="The lighthouse has been dark for ten years.", priority=5),
    LoreEntry(keys=["长安"], content="长安是故事里的都城，夜里有宵禁。", name="长安"),
    LoreEntry(keys=[r"dragon(s)?\b"], regex=True, content="Dragons are extinct.", name="dragons"),
    LoreEntry(keys=["Kai"], content="Kai is Mira's brother.", enabled=False),
    LoreEntry(keys=["never"], content="Rules of magic.", always=True, name="rules"),
]


def test_entries_activate_on_keys_in_recent_text():
    project = StoryProject(lorebook=LORE)
    chosen, notes = active_lore(project, "Mira climbed the stairs. Dragons circled.", words)
    names = [e.name or e.keys[0] for e in chosen]
    assert names == ["Mira", "dragons", "rules"]  # Kai is disabled, rules is always on
    assert notes == []


def test_word_boundaries_for_latin_and_substrings_for_chinese():
    project = StoryProject(lorebook=LORE)
    chosen, _ = active_lore(project, "Admiration is not a name.", words)  # 'Mira' inside a word: no
    assert "Mira" not in [e.name for e in chosen]
    chosen, _ = active_lore(project, "他骑马进了长安城。", words)
    assert "长安" in [e.name for e in chosen]


def test_priority_and_budget():
    project = StoryProject(lorebook=LORE, lore_budget_tokens=12)
    chosen, notes = active_lore(project, "Mira saw the lighthouse.", words)
    # the lighthouse entry (priority 5, 9 tokens) goes first; Mira's (10 tokens) no longer fits
    assert [e.keys[0] for e in chosen][0] == "lighthouse"
    assert any("Mira" in n and "budget" in n for n in notes)


def test_only_recent_text_is_scanned():
    project = StoryProject(lorebook=LORE, scan_chars=100)
    story = "Mira was born by the sea. " + "The waves rolled on. " * 20
    chosen, _ = active_lore(project, story[-project.scan_chars:], words)
    assert "Mira" not in [e.name for e in chosen]


def test_author_note_goes_n_lines_from_the_end():
    text = "one\ntwo\nthree\nfour"
    assert insert_author_note(text, "be brief", 1).split("\n") == ["one", "two", "three", "[Author's note: be brief]",
                                                                  "four"]
    assert insert_author_note(text, "be brief", 0).endswith("[Author's note: be brief]")
    assert insert_author_note(text, "", 2) == text


def test_assembly_keeps_memory_and_trims_the_oldest_story_text():
    memory = "A quiet fantasy in the style of Le Guin."
    project = StoryProject(memory=memory, author_note="Mira finds a letter.", author_note_depth=1, lorebook=LORE)
    story = "\n".join(f"Paragraph {i}: the tide came in and went out again." for i in range(60)) + "\nMira waited."
    full = words(plain("", story))
    asm = assemble(project, story, budget_tokens=200, count_tokens=words, render=plain)
    prompt = plain(asm.context, asm.story)
    assert words(prompt) <= 200 < full
    assert memory in asm.context and "Mira is a lighthouse keeper" in asm.context
    assert asm.trimmed_chars > 0 and "Paragraph 0:" not in asm.story and "Paragraph 59:" in asm.story
    assert "[Author's note: Mira finds a letter.]" in asm.story.split("\n")[-2]
    assert any("oldest" in n for n in asm.notes)
    assert asm.meta()["trimmed_chars"] == asm.trimmed_chars


def test_assembly_untouched_when_it_fits_and_chinese_labels():
    project = StoryProject(memory="武侠故事。", lorebook=LORE)
    asm = assemble(project, "他走进长安。", budget_tokens=500, count_tokens=words, render=plain, zh=True)
    assert asm.trimmed_chars == 0 and asm.story == "他走进长安。"
    assert "[记忆]" in asm.context and "[设定: 长安]" in asm.context


def test_assembly_refuses_when_memory_alone_is_too_big():
    project = StoryProject(memory="word " * 300)
    with pytest.raises(ValueError, match="memory, lore"):
        assemble(project, "story", budget_tokens=100, count_tokens=words, render=plain)


def test_lorebook_round_trip_and_sillytavern_import():
    text = export_lorebook(LORE)
    back = import_lorebook(text)
    assert [e.model_dump() for e in back] == [e.model_dump() for e in LORE]
    st = {"entries": {"0": {"key": ["Mira"], "content": "keeper", "comment": "Mira", "order": 100,
                            "constant": False, "disable": False},
                      "1": {"key": ["sea"], "content": "salt", "constant": True}}}
    entries = import_lorebook(json.dumps(st))
    assert entries[0].name == "Mira" and entries[0].priority == 100 and entries[1].always


def test_bad_lorebooks_are_refused_with_reasons():
    with pytest.raises(ValueError, match="not valid JSON"):
        import_lorebook("{nope")
    with pytest.raises(ValueError, match="entry 0"):
        import_lorebook(json.dumps([{"keys": [], "content": "x"}]))
    with pytest.raises(ValueError, match="regular expression"):
        LoreEntry(keys=["(unclosed"], regex=True, content="x")
