"""Header party paragraphs: names, gender, birth, priors, custody measures, prosecutor."""

from __future__ import annotations

from shujian.documents.defendants import is_defendant_role, prosecutor_of, read_defendant, split_parties
from shujian.documents.model import Span


def _people(header: str):
    parties = split_parties(header, Span(0, len(header)))
    return prosecutor_of(header, parties), [read_defendant(header, p) for p in parties if is_defendant_role(p.role)]


def test_colon_after_role_and_relative_dates():
    (public, _), [d] = _people("公诉机关某某市人民检察院。 被告人：李四，男，汉族，1980年1月1日出生于某某省，初中文化。"
                               "因涉嫌犯盗窃罪于2019年2月1日被刑事拘留，次日被逮捕。")
    assert public == "某某市人民检察院"
    assert (d.name, d.gender, d.birth_date, d.ethnicity) == ("李四", "男", "1980-01-01", "汉族")
    assert [(c.measure, c.date) for c in d.custody] == [("刑事拘留", "2019-02-01"), ("逮捕", "2019-02-02")]


def test_two_priors_and_approved_then_executed_arrest():
    _, [d] = _people("公诉机关某某市人民检察院。 被告人王五，曾用名王武，男，1970年5月5日生，住某某市。2001年因犯抢劫罪被判处"
                     "有期徒刑七年，2007年3月3日刑满释放；2010年6月6日因犯盗窃罪被某某法院判处有期徒刑一年六个月，"
                     "2011年12月5日刑满释放。2019年1月1日因涉嫌犯盗窃罪被刑事拘留，同年1月30日经某某市人民检察院批准逮捕，"
                     "次日由某某市公安局执行逮捕。")
    assert d.name == "王五"
    assert [(p.charge, p.penalty_type, p.term_months, p.release_date) for p in d.priors] == [
        ("抢劫罪", "有期徒刑", 84, "2007-03-03"), ("盗窃罪", "有期徒刑", 18, "2011-12-05")]
    assert [(c.measure, c.date) for c in d.custody] == [("刑事拘留", "2019-01-01"), ("逮捕", "2019-01-31")]


def test_appeal_roles_and_administrative_detention_is_not_custody():
    (public, private), [d] = _people("抗诉机关某某县人民检察院。 原审被告人赵六，女，1990年9月9日出生。因殴打他人于2018年1月1日"
                                     "被行政拘留十日。因涉嫌犯诈骗罪于2019年3月3日被监视居住。")
    assert (public, private) == ("某某县人民检察院", None)
    assert [(c.measure, c.date) for c in d.custody] == [("监视居住", "2019-03-03")]
    assert d.priors == []


def test_private_prosecution_and_self_reported_name():
    (public, private), [d] = _people("自诉人孙七，男，1960年1月1日出生。 被告人自报周八，男。")
    assert (public, private) == (None, "孙七")
    assert (d.name, d.gender, d.birth_date) == ("周八", "男", None)


def test_name_with_middle_dot_and_no_birth_day():
    _, [a, b] = _people("公诉机关某市人民检察院。 被告人阿某·买某，男，1988年8月8日出生，维吾尔族。 被告人钱九，男，1981年出生。")
    assert (a.name, a.ethnicity) == ("阿某·买某", "维吾尔族")
    assert (b.name, b.birth_date) == ("钱九", None)
