"""The classical-poem form checker on real Tang poems, and on poems that break the form."""

import pytest

from muselab.text.poem import canonical_form, check, split_lines

# Real poems (public domain, Tang dynasty), as printed in the chinese-poetry corpus.
JINGYESI = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"  # 李白《静夜思》
CHUNXIAO = "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。"  # 孟浩然《春晓》, on one row
# title, author, a clause per row
DENG_GUANQUE = "《登鹳雀楼》\n王之涣\n白日依山尽，\n黄河入海流。\n欲穷千里目，\n更上一层楼。"
ZAOFA_BAIDI = "朝辞白帝彩云间，千里江陵一日还。\n两岸猿声啼不住，轻舟已过万重山。"  # 李白《早发白帝城》
CHUNWANG = ("国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。\n"
            "烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。")  # 杜甫《春望》
DENGGAO = ("风急天高猿啸哀，渚清沙白鸟飞回。\n无边落木萧萧下，不尽长江滚滚来。\n"
           "万里悲秋常作客，百年多病独登台。\n艰难苦恨繁霜鬓，潦倒新停浊酒杯。")  # 杜甫《登高》


@pytest.mark.parametrize("poem,form", [
    (JINGYESI, "五言绝句"), (CHUNXIAO, "五言绝句"), (DENG_GUANQUE, "五言绝句"),
    (ZAOFA_BAIDI, "七言绝句"), (CHUNWANG, "五言律诗"), (DENGGAO, "七言律诗"),
])
def test_real_poems_pass_their_form(poem, form):
    result = check(poem, form)
    assert result.ok, result.problems
    assert result.problems == []
    n_lines = 4 if "绝句" in form else 8
    assert len(result.lines) == n_lines


@pytest.mark.parametrize("poem,form", [
    (JINGYESI, "七言绝句"),  # right shape for 五言, wrong for 七言
    (ZAOFA_BAIDI, "五言绝句"),
    (JINGYESI, "五言律诗"),  # 4 lines where 8 are needed
    (CHUNWANG, "五言绝句"),  # 8 lines where 4 are needed
    (DENGGAO, "七言绝句"),
])
def test_real_poems_fail_other_forms(poem, form):
    assert not check(poem, form).ok


def test_problems_name_the_line_and_count_in_both_languages():
    broken = "床前明月光，疑是地上霜。\n举头望明月，低头思念故乡。"  # last line has 6 characters
    result = check(broken, "五言绝句")
    assert not result.ok
    assert len(result.problems) == 1
    p = result.problems[0]
    assert "第4句" in p and "6" in p and "line 4" in p and "expected 5" in p


def test_wrong_line_count_is_reported():
    result = check("床前明月光，疑是地上霜。举头望明月，", "五言绝句")
    assert not result.ok
    assert any("3" in p and "4" in p for p in result.problems)


def test_non_chinese_characters_are_a_problem():
    result = check("床前明月光，疑是地上霜。\n举头望明月，低头思hometown。", "五言绝句")
    assert not result.ok
    assert any("hometown" in p for p in result.problems)


def test_explanation_after_the_poem_fails_the_form():
    # a model that adds commentary has not written only the poem: flagged, not silently cut
    text = JINGYESI + "\n这首诗表达了诗人的思乡之情。"
    assert not check(text, "五言绝句").ok


def test_empty_text_fails():
    result = check("", "七言律诗")
    assert not result.ok and result.lines == []


def test_aliases_and_unknown_forms():
    assert canonical_form("wuyan_jueju") == "五言绝句"
    assert canonical_form("七律") == "七言律诗"
    with pytest.raises(ValueError, match="accepted"):
        canonical_form("sonnet")


def test_split_lines_reads_rows_and_punctuation_alike():
    assert split_lines(JINGYESI) == split_lines("床前明月光\n疑是地上霜\n举头望明月\n低头思故乡")


def test_title_then_unpunctuated_rows_keeps_the_first_line():
    text = "《静夜思》\n床前明月光\n疑是地上霜\n举头望明月\n低头思故乡"
    assert check(text, "五言绝句").ok
    assert check("《早发白帝城》\n唐·李白\n" + ZAOFA_BAIDI, "七言绝句").ok
    assert check("《登高》\n[唐] 杜甫\n" + DENGGAO, "七言律诗").ok
