"""Verdict wording → executed penalty, one phrasing per case."""

from __future__ import annotations

import pytest

from shujian.documents.penalties import read_sentence

CASES = [
    # text, charges, type, term, probation, fine, confiscation, deprivation
    ("被告人甲犯盗窃罪，判处有期徒刑1年6个月，并处罚金人民币2000元。", ["盗窃罪"], "有期徒刑", 18, None, 2000, False, None),
    ("被告人甲犯故意伤害罪，判处有期徒刑三年，宣告缓刑五年。", ["故意伤害罪"], "有期徒刑", 36, 60, None, False, None),
    ("被告人甲犯受贿罪，判处有期徒刑十年，并处没收个人财产人民币五十万元。", ["受贿罪"], "有期徒刑", 120, None, None, True, None),
    ("被告人甲犯抢劫罪，判处有期徒刑十二年，剥夺政治权利三年，并处罚金人民币二万元；犯盗窃罪，判处有期徒刑二年，"
     "并处罚金人民币五千元，决定执行有期徒刑十三年，剥夺政治权利三年，并处罚金人民币二万五千元。",
     ["抢劫罪", "盗窃罪"], "有期徒刑", 156, None, 25000, False, 36),
    ("被告人甲犯故意杀人罪，判处死刑，缓期二年执行，剥夺政治权利终身。", ["故意杀人罪"], "死刑缓期二年执行", None, None,
     None, False, "终身"),
    ("被告人甲犯危险驾驶罪，判处拘役三个月，缓刑四个月，并处罚金人民币三千元。", ["危险驾驶罪"], "拘役", 3, 4, 3000, False, None),
    ("被告人甲无罪。", [], "无罪", None, None, None, False, None),
    ("被告人甲犯盗窃罪，免予刑事处罚。", ["盗窃罪"], "免予刑事处罚", None, None, None, False, None),
    ("被告人甲犯寻衅滋事罪，判处管制六个月。", ["寻衅滋事罪"], "管制", 6, None, None, False, None),
    ("被告人甲犯盗窃罪，判处有期徒刑六个月，并处罚金人民币1000元；撤销某某法院（2015）某刑初字第1号刑事判决对被告人甲"
     "宣告缓刑一年的部分，与前罪判处的有期徒刑六个月并罚，决定执行有期徒刑十个月，并处罚金人民币1000元。",
     ["盗窃罪"], "有期徒刑", 10, None, 1000, False, None),
    ("被告人甲犯贩卖毒品罪，判处无期徒刑，剥夺政治权利终身，并处没收个人全部财产。", ["贩卖毒品罪"], "无期徒刑", None, None,
     None, True, "终身"),
    ("被告人甲犯诈骗罪，判处有期徒刑二年零三个月，并处罚金人民币伍万元整。", ["诈骗罪"], "有期徒刑", 27, None, 50000, False, None),
    ("被告人甲犯交通肇事罪，判处有期徒刑十个月。缴获的车辆予以没收。", ["交通肇事罪"], "有期徒刑", 10, None, None, False, None),
    ("被告人甲犯盗窃罪，单处罚金人民币五千元。", ["盗窃罪"], "单处罚金", None, None, 5000, False, None),
    ("被告人甲犯盗窃罪、诈骗罪，判处有期徒刑二年，并处罚金人民币一万元。", ["盗窃罪", "诈骗罪"], "有期徒刑", 24, None, 10000,
     False, None),
    ("被告人甲犯掩饰、隐瞒犯罪所得罪，判处拘役五个月，并处罚金人民币一千元。", ["掩饰、隐瞒犯罪所得罪"], "拘役", 5, None, 1000,
     False, None),
]


@pytest.mark.parametrize("text,charges,kind,term,probation,fine,confiscation,deprivation", CASES)
def test_read_sentence(text, charges, kind, term, probation, fine, confiscation, deprivation):
    s = read_sentence(text)
    assert [c.charge for c in s.counts if c.charge] == charges
    assert (s.penalty_type, s.term_months, s.probation_months, s.fine_yuan, s.confiscation, s.deprivation_months) == \
        (kind, term, probation, fine, confiscation, deprivation)


def test_revoked_probation_is_not_the_count_probation():
    s = read_sentence(CASES[9][0])
    assert s.counts[0].probation_months is None and s.counts[0].term_months == 6


def test_term_dates_in_chinese_numerals():
    s = read_sentence("被告人甲犯盗窃罪，判处有期徒刑六个月（刑期即自二〇一七年五月十一日起至二〇一七年十一月十日止）。")
    assert (s.sentence_start, s.sentence_end) == ("2017-05-11", "2017-11-10")
