"""Judgment facts that mislead models (issue 15, class 8): each case fails on the parser before the fix.

The whole-document cases are golden files under tests/fixtures/judgments/ (combined_fine, prior_in_text,
appeal_roles, pseudonyms, split_lines_crlf, spaced_title, court_site.html, halfwidth_punct,
fine_after_stop, minor_recidivism); here the facts a model reads from them are asserted one by one.
"""

from __future__ import annotations

from datetime import date

import pytest

from shujian.documents import parse_judgment
from shujian.documents.cleanup import clean_text
from shujian.documents.penalties import read_sentence
from shujian.documents.tables import CHARGE_TABLE, DEFENDANT_TABLE, PRIOR_TABLE, judgment_rows

from .test_golden import FIXTURES


def fixture(name: str):
    return parse_judgment((FIXTURES / name).read_bytes().decode("utf-8"), name)


def people(j) -> dict:
    return {d.name: d for d in j.defendants}


# ---------------------------------------------------------------- 数罪并罚: the combined fine covers counts
def test_combined_fine_covers_counts_without_their_own():
    j = fixture("combined_fine.txt")
    zhou, wu = people(j)["周某"], people(j)["吴某某"]
    assert zhou.fine_yuan == 30000
    assert [(c.charge, c.fine_yuan, c.joint_fine_yuan) for c in zhou.counts] == [
        ("盗窃罪", None, 30000), ("诈骗罪", None, 30000)]
    # 吴某某's counts add up to the combined fine: 信用卡诈骗罪 really has no fine (第一百九十六条 needs one)
    assert [(c.charge, c.fine_yuan, c.joint_fine_yuan) for c in wu.counts] == [
        ("诈骗罪", 10000, None), ("信用卡诈骗罪", None, None)]


def test_combined_fine_reaches_the_charge_table():
    rows = judgment_rows([fixture("combined_fine.txt")])[CHARGE_TABLE]
    got = {(r["姓名"], r["罪名"]): (r["罚金元"], r["合并判处罚金元"]) for r in rows}
    assert got == {("周某", "盗窃罪"): (None, 30000), ("周某", "诈骗罪"): (None, 30000),
                   ("吴某某", "诈骗罪"): (10000, None), ("吴某某", "信用卡诈骗罪"): (None, None)}


@pytest.mark.parametrize("text,joint", [
    ("被告人甲犯抢劫罪，判处有期徒刑十二年；犯盗窃罪，判处有期徒刑二年；决定执行有期徒刑十三年，剥夺政治权利三年，"
     "并处没收个人全部财产。", [(None, True, True), (None, True, True)]),
    ("被告人甲犯抢劫罪，判处有期徒刑十二年，剥夺政治权利三年，并处罚金人民币二万元；犯盗窃罪，判处有期徒刑二年，"
     "并处罚金人民币五千元，决定执行有期徒刑十三年，剥夺政治权利三年，并处罚金人民币二万五千元。",
     [(None, False, False), (None, False, False)]),
    ("被告人甲犯抢劫罪，判处有期徒刑十二年，并处罚金人民币二万元；犯盗窃罪，判处有期徒刑二年；"
     "决定执行有期徒刑十三年，并处罚金人民币二万五千元。", [(None, False, False), (25000, False, False)]),
])
def test_joint_accessories(text, joint):
    s = read_sentence(text)
    from shujian.documents.penalties import attribute_joint

    attribute_joint(s.counts, s.joint)
    assert [(c.joint_fine_yuan, c.joint_confiscation, c.joint_deprivation) for c in s.counts] == joint


def test_one_penalty_for_two_charges_covers_both():
    s = read_sentence("被告人甲犯盗窃罪、诈骗罪，判处有期徒刑二年，并处罚金人民币一万元。")
    assert [(c.charge, c.term_months, c.fine_yuan, c.joint_fine_yuan) for c in s.counts] == [
        ("盗窃罪", 24, 10000, None), ("诈骗罪", 24, None, 10000)]
    assert s.fine_yuan == 10000  # the executed fine is not counted twice


def test_combined_sentence_in_its_own_sentence():
    text = ("某县人民法院 刑事判决书 （2020）某0101刑初1号 公诉机关某县人民检察院。 被告人甲某，男，1990年1月1日出生。 "
            "某县人民检察院指控被告人甲某犯盗窃罪、诈骗罪，于2020年1月1日向本院提起公诉。经审理查明：2019年12月1日，甲某盗窃。"
            "本院认为，甲某的行为已构成盗窃罪、诈骗罪。依照《中华人民共和国刑法》第二百六十四条之规定，判决如下： "
            "被告人甲某犯盗窃罪，判处有期徒刑一年；犯诈骗罪，判处有期徒刑一年。决定执行有期徒刑一年六个月，并处罚金人民币六千元。 "
            "如不服本判决，可上诉。 审判员乙某 二〇二〇年三月一日")
    d = parse_judgment(text).defendants[0]
    assert (d.term_months, d.fine_yuan) == (18, 6000)
    assert [c.joint_fine_yuan for c in d.counts] == [6000, 6000]


# ---------------------------------------------------------------- a fine after a full stop
def test_fine_after_a_full_stop():
    j = fixture("fine_after_stop.txt")
    cao = people(j)["曹某"]
    assert (cao.term_months, cao.probation_months, cao.fine_yuan) == (36, 36, 200000)
    assert cao.counts[0].fine_yuan == 200000
    assert people(j)["宋某"].fine_yuan == 300000


# ---------------------------------------------------------------- earlier judgments are not current charges
def test_prior_mentioned_in_the_header_is_not_a_defendant():
    j = fixture("prior_in_text.txt")
    assert [d.name for d in j.defendants] == ["林某强", "郑某"]
    lin = people(j)["林某强"]
    # the 曾因犯盗窃罪 paragraph belongs to 林某强; a suspended term gives no release date
    assert [(p.charge, p.term_months, p.probation_months, p.release_date) for p in lin.priors] == [
        ("盗窃罪", 12, 18, None)]


def test_revoked_probation_quoted_in_the_verdict_is_not_a_count():
    zheng = people(fixture("prior_in_text.txt"))["郑某"]
    assert zheng.charges == ["容留他人吸毒罪"]
    assert [(c.charge, c.term_months, c.fine_yuan) for c in zheng.counts] == [("容留他人吸毒罪", 7, 3000)]
    assert (zheng.term_months, zheng.fine_yuan) == (14, 5000)


@pytest.mark.parametrize("text", [
    "被告人甲犯盗窃罪，判处有期徒刑八个月，并处罚金人民币二千元，连同原判犯诈骗罪判处有期徒刑一年，并处罚金人民币五千元，"
    "决定执行有期徒刑一年六个月，并处罚金人民币七千元。",
    "被告人甲犯盗窃罪，判处有期徒刑八个月，并处罚金人民币二千元；撤销某县人民法院（2016）某0101刑初1号刑事判决对被告人甲"
    "犯诈骗罪判处有期徒刑一年，宣告缓刑二年的缓刑部分，与前罪判处的有期徒刑一年并罚，决定执行有期徒刑一年六个月，"
    "并处罚金人民币二千元。",
])
def test_quoted_earlier_sentence_in_one_verdict_sentence(text):
    assert [c.charge for c in read_sentence(text).counts] == ["盗窃罪"]


def test_short_prose_after_a_name_is_not_a_new_defendant():
    text = ("某县人民法院 刑事判决书 （2021）某0101刑初8号 公诉机关某县人民检察院。 被告人陈某龙，男，1980年1月1日出生。 "
            "被告人陈某龙曾因吸毒被行政拘留。 某县人民检察院指控被告人陈某龙犯贩卖毒品罪，于2021年3月1日向本院提起公诉。"
            "经审理查明：2020年10月1日，陈某龙贩卖毒品。本院认为，陈某龙的行为已构成贩卖毒品罪。依照《中华人民共和国刑法》"
            "第三百四十七条之规定，判决如下： 被告人陈某龙犯贩卖毒品罪，判处有期徒刑一年，并处罚金人民币一万元。 "
            "如不服本判决，可上诉。 审判员乙某 二〇二一年五月一日")
    j = parse_judgment(text)
    assert [d.name for d in j.defendants] == ["陈某龙"]
    assert not j.warnings


# ---------------------------------------------------------------- roles, names, layout
def test_second_instance_roles():
    j = fixture("appeal_roles.txt")
    got = {d.name: (d.charges, d.term_months, d.probation_months) for d in j.defendants}
    assert got == {"刘某": (["故意伤害罪"], 12, 18), "谢某": (["故意伤害罪"], 15, None)}
    assert j.prosecutor == "长沙市雨花区人民检察院"


@pytest.mark.parametrize("role", ["上诉人（原审被告人）", "上诉人(原审被告人)", "原审被告人（上诉人）", "被上诉人（原审被告人）",
                                  "上诉人（原审被告人、附带民事诉讼被告人）：", "原审被告人"])
def test_appeal_role_spellings(role):
    text = ("某市中级人民法院 刑事判决书 （2021）某01刑终9号 原公诉机关某县人民检察院。 " + role + "钱某，男，1990年2月2日出生。 "
            "某县人民法院审理某县人民检察院指控原审被告人钱某犯盗窃罪一案，作出刑事判决。本院依法组成合议庭审理了本案。现已审理终结。 "
            "原判认定：2020年5月5日，钱某盗窃。本院认为，钱某的行为已构成盗窃罪。依照《中华人民共和国刑法》第二百六十四条之规定，"
            "判决如下： 上诉人钱某犯盗窃罪，判处有期徒刑六个月。 本判决为终审判决。 审判员乙某 二〇二一年五月一日")
    j = parse_judgment(text)
    assert [(d.name, d.gender, d.term_months) for d in j.defendants] == [("钱某", "男", 6)]


def test_appealing_unit_is_a_unit():
    text = ("某市中级人民法院 刑事判决书 （2021）某01刑终10号 原公诉机关某县人民检察院。 上诉人（原审被告单位）某某建材有限公司，"
            "住所地某县。 上诉人（原审被告人）孙某，男，1970年3月3日出生。 某县人民法院审理某县人民检察院指控原审被告单位某某建材有限公司、"
            "原审被告人孙某犯虚开增值税专用发票罪一案，作出刑事判决。现已审理终结。 原判认定：2019年1月1日起，虚开发票。"
            "本院认为，其行为均已构成虚开增值税专用发票罪。依照《中华人民共和国刑法》第二百零五条之规定，判决如下： "
            "上诉单位某某建材有限公司犯虚开增值税专用发票罪，判处罚金人民币二十万元；上诉人孙某犯虚开增值税专用发票罪，"
            "判处有期徒刑三年。 本判决为终审判决。 审判员乙某 二〇二一年五月一日")
    j = parse_judgment(text)
    assert [u.name for u in j.units] == ["某某建材有限公司"]
    assert [d.name for d in j.defendants] == ["孙某"]


def test_pseudonymised_names():
    j = fixture("pseudonyms.txt")
    got = {d.name: (d.term_months, d.probation_months, d.fine_yuan) for d in j.defendants}
    assert got == {"王×1": (42, None, 50000), "王×2": (12, 18, 10000), "范×": (10, 12, 8000),
                   "张某某": (46, None, 50000), "张某": (10, 12, 8000), "李3": (9, 12, 5000)}
    assert [d.name for d in j.defendants if d.recidivist] == ["张某某"]


@pytest.mark.parametrize("name", ["split_lines_crlf.txt", "spaced_title.txt", "court_site.html", "halfwidth_punct.txt"])
def test_layout_quirks_parse_fully(name):
    j = fixture(name)
    assert j.error is None
    assert j.court and j.case_number and j.prosecutor and j.judgment_date
    assert j.defendants and all(d.charges and d.penalty_type and d.gender and d.birth_date for d in j.defendants)
    assert not [w for w in j.warnings if "未找到" in w]


def test_crlf_fixture_really_has_split_words():
    raw = (FIXTURES / "split_lines_crlf.txt").read_bytes().decode("utf-8")
    assert "被\r\n告人" in raw and "判\r\n决如下" in raw
    assert len(clean_text(raw)) == len(raw)


def test_court_site_html():
    j = fixture("court_site.html")
    assert (j.court, j.case_number) == ("江苏省南京市秦淮区人民法院", "（2020）苏0104刑初567号")
    assert [(d.name, d.birth_date, d.fine_yuan) for d in j.defendants] == [
        ("李×1", "1998-03-02", 5000), ("李×2", "2002-11-09", 3000)]
    # sentences ended with half-width stops: the minor finding is 李×2's only
    assert [d.name for d in j.defendants if "未成年" in d.circumstances] == ["李×2"]


@pytest.mark.parametrize("raw,clean", [
    ("刑 事 判 决 书", "刑事判决书    "),
    ("被\r\n告人", "被告人  "),
    ("判决\n如下：", "判决如下 ："),
    ("被告人王&times;1&ldquo;", "被告人王×1“"),
    ("罚金ＲＭＢ５０００元(已缴纳);", "罚金RMB5000元（已缴纳）；"),
    ("阿某.买某，男", "阿某.买某，男"),
    ("人民币1.5万元", "人民币1.5万元"),
])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_halfwidth_id_number():
    d = fixture("halfwidth_punct.txt").defendants[0]
    assert d.id_number == "36012119931008123X"
    assert d.charges == ["掩饰、隐瞒犯罪所得罪"]


# ---------------------------------------------------------------- age at the offence, circumstances
def test_age_at_offence_and_table_column():
    j = fixture("minor_recidivism.txt")
    assert j.offence_date == "2019-08-20"
    assert {d.name: d.age_at_offence for d in j.defendants} == {"韩某": 39, "白某": 34, "马某": 17}
    rows = judgment_rows([j])
    assert {r["姓名"]: r["犯罪时年龄"] for r in rows[DEFENDANT_TABLE]} == {"韩某": 39, "白某": 34, "马某": 17}
    priors = {r["姓名"]: r["前科判决日期"] for r in rows[PRIOR_TABLE]}
    assert priors["马某"] == "2017-05-22"  # 15 years old then: the prior was a minor's offence


def test_age_on_the_birthday():
    base = ("某县人民法院 刑事判决书 （2020）某0101刑初2号 公诉机关某县人民检察院。 被告人甲某，男，2002年3月{d}日出生。 "
            "某县人民检察院指控被告人甲某犯盗窃罪，于2020年6月1日向本院提起公诉。经审理查明：2020年3月10日，甲某盗窃。"
            "本院认为，甲某的行为已构成盗窃罪。依照《中华人民共和国刑法》第二百六十四条之规定，判决如下： "
            "被告人甲某犯盗窃罪，判处拘役三个月。 如不服本判决，可上诉。 审判员乙某 二〇二〇年七月一日")
    on_birthday, day_after = parse_judgment(base.format(d=10)), parse_judgment(base.format(d=11))
    assert on_birthday.defendants[0].age_at_offence == 18  # 周岁 from the day of the birthday
    assert day_after.defendants[0].age_at_offence == 17
    assert "未成年" in day_after.defendants[0].circumstances
    assert "未成年" not in on_birthday.defendants[0].circumstances


def test_circumstances_of_the_recidivism_fixture():
    got = {d.name: (d.recidivist, d.surrender, d.meritorious, sorted(d.circumstances))
           for d in fixture("minor_recidivism.txt").defendants}
    assert got == {
        "韩某": (True, False, False, ["坦白", "毒品再犯"]),      # 累犯 and 毒品再犯; 坦白 is not 自首
        "白某": (False, True, False, ["毒品再犯"]),              # 毒品再犯 alone is not 累犯; rejected 立功
        "马某": (False, False, False, ["坦白", "未成年"]),       # the prior was a minor's: no 累犯
    }


def test_suspended_prior_has_no_release_unless_revoked():
    from shujian.documents.defendants import read_priors

    text = ("被告人甲，男。2015年3月3日因犯盗窃罪被某县人民法院判处有期徒刑一年，缓刑二年，2017年3月20日解除社区矫正。"
            "2010年1月1日因犯诈骗罪被判处有期徒刑一年，缓刑一年，后因违反规定被撤销缓刑，收监执行，2012年5月5日刑满释放。")
    priors = read_priors(text, 0, len(text))
    assert [(p.charge, p.probation_months, p.release_date) for p in priors] == [
        ("盗窃罪", 24, None), ("诈骗罪", 12, "2012-05-05")]
    assert date.fromisoformat(priors[1].release_date).year == 2012


def test_custody_date_in_the_clause_before():
    from shujian.documents.defendants import read_custody

    text = ("被告人胡某某因犯抢劫罪于2010年6月被判处有期徒刑十一年，于2018年1月2日刑满释放。2018年12月18日，"
            "被告人胡某某因涉嫌抢劫罪被某市公安局刑事拘留；同年12月29日经检察院批准，于当日被逮捕。")
    assert [(c.measure, c.date) for c in read_custody(text, 0, len(text))] == [
        ("刑事拘留", "2018-12-18"), ("逮捕", "2018-12-29")]
