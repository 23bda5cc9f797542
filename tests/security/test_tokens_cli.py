"""Keyed tokens (SM3/SHA-256 HMAC) and the ``shujian token``, ``shujian audit``, ``shujian user`` commands."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os

import pytest

from shujian.cli.main import main
from shujian.errors import InputError
from shujian.security import hashing
from shujian.security.tokens import normalise, read_key, token

IDS = ["11010519491231002X", "110105194912310021", "110101198001010053"]


def cli(capsys, *args: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_sm3_known_answer_and_the_pure_python_fallback_agree(monkeypatch):
    # GB/T 32905 example: SM3("abc")
    assert hashing.digest("sm3", b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    fast = hashing.keyed("sm3", b"k" * 70, b"110105194912310021")
    monkeypatch.setattr(hashing, "_openssl_sm3", lambda: False)
    assert hashing.keyed("sm3", b"k" * 70, b"110105194912310021") == fast      # gmssl path, long key
    assert hashing.keyed("sha256", b"key", b"x") == hmac.new(b"key", b"x", hashlib.sha256).digest()


def test_tokens_are_keyed_normalised_and_not_a_plain_hash():
    key, other = b"\x01" * 32, b"\x02" * 32
    t = token(key, "１１０１０５１９４９１２３１００２ｘ ")
    assert t == token(key, IDS[0]) and t.startswith("T3:")          # 全角, spaces and x normalised
    assert t != token(other, IDS[0])                                 # another key, another token
    assert t[3:] != hashlib.sha256(IDS[0].encode()).hexdigest()      # not a dictionary-attackable hash
    assert token(key, IDS[0], "sha256").startswith("T2:") and token(key, "") == ""
    assert normalise(" 138 0013 8000 ") == "13800138000"


def test_key_beside_the_data_or_world_readable_is_refused(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("x\n", encoding="utf-8")
    key = tmp_path / "key.hex"
    key.write_text("ab" * 32, encoding="ascii")
    os.chmod(key, 0o600)
    with pytest.raises(InputError, match="同一目录"):
        read_key(key, [data])
    away = tmp_path / "keys"
    away.mkdir()
    loose = away / "key.hex"
    loose.write_text("ab" * 32, encoding="ascii")
    os.chmod(loose, 0o644)
    with pytest.raises(InputError, match="其他用户可读"):
        read_key(loose, [data])


def test_token_cli_round_trip_with_reidentification(tmp_path, capsys, monkeypatch):
    provider, platform, keys = tmp_path / "provider", tmp_path / "platform", tmp_path / "keys"
    for d in (provider, platform):
        d.mkdir()
    source = provider / "养老金.csv"
    source.write_text("身份证号,姓名,金额\n" + "".join(f"{i},某,{n}\n" for n, i in enumerate(IDS)),
                      encoding="utf-8")
    key = keys / "provider.key"
    assert cli(capsys, "token", "keygen", str(key))[0] == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert cli(capsys, "token", "keygen", str(key))[0] != 0              # never overwrites a key
    out = platform / "tokenised.csv"
    code, _, err = cli(capsys, "token", "apply", str(source), "--columns", "身份证号", "--key", str(key),
                       "--out", str(out))
    assert code == 0, err
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["身份证号", "姓名", "金额"] and all(r[0].startswith("T3:") for r in rows[1:])
    assert not any(i in out.read_text(encoding="utf-8-sig") for i in IDS)
    clue_list = platform / "线索.csv"                       # what the procuratorate sends back: one hit
    clue_list.write_text(f"线索编号,对象\n7,{rows[2][0]}\n", encoding="utf-8")
    back = provider / "回溯.csv"
    code, _, err = cli(capsys, "token", "apply", str(source), "--columns", "身份证号", "--key", str(key),
                       "--out", str(back), "--reidentify", str(clue_list))
    assert code == 0, err
    assert list(csv.reader(back.open(encoding="utf-8-sig")))[1] == ["7", IDS[1]]
    code, _, err = cli(capsys, "token", "apply", str(source), "--columns", "证件号", "--key", str(key),
                       "--out", str(out))
    assert code != 0 and "没有列" in err


def test_user_and_audit_commands(ws, capsys, monkeypatch, tmp_path):
    from shujian.orgs.service import OrgService

    OrgService(ws).seed(["33"])
    pw = "Correct-Horse-9\n"
    code, out, err = cli(capsys, "user", "create", "root", "--name", "管理员", "--org", "3310", "--admin",
                         "--password-stdin", stdin=pw, monkeypatch=monkeypatch)
    assert code == 0, err
    # a second admin needs an acting administrator
    code, _, err = cli(capsys, "user", "create", "root2", "--name", "甲", "--org", "3310", "--admin",
                       "--password-stdin", stdin=pw, monkeypatch=monkeypatch)
    assert code != 0 and "操作人" in err
    code, _, err = cli(capsys, "user", "create", "li", "--name", "李", "--org", "331002", "--role", "检察官",
                       "--password-stdin", "--as", "root", stdin="weak\n", monkeypatch=monkeypatch)
    assert code != 0 and "口令不符合要求" in err
    code, _, err = cli(capsys, "user", "create", "li", "--name", "李", "--org", "331002", "--role", "检察官",
                       "--password-stdin", "--as", "root", stdin=pw, monkeypatch=monkeypatch)
    assert code == 0, err
    code, out, err = cli(capsys, "user", "token-create", "li", "--name", "脚本", "--as", "li")
    assert code == 0 and "sjt_" in out, err
    assert cli(capsys, "user", "token-revoke", "1", "--as", "li")[0] != 0          # 检察官 may not manage
    assert cli(capsys, "user", "token-revoke", "1", "--as", "root")[0] == 0
    assert cli(capsys, "audit", "list", "--as", "li")[0] != 0
    code, out, _ = cli(capsys, "audit", "list", "--as", "root", "--format", "json")
    assert code == 0 and "token.revoke" in out
    code, out, _ = cli(capsys, "audit", "verify")
    assert code == 0 and "审计日志完整" in out
    export = tmp_path / "audit.csv"
    assert cli(capsys, "audit", "export", str(export), "--as", "root")[0] == 0
    assert "user.create" in export.read_text(encoding="utf-8-sig")
    with ws.db.unit_of_work() as s:
        from shujian.db.models import AuditRecord
        first = s.query(AuditRecord).order_by(AuditRecord.id).first()
        first.target = "someone"
    code, _, err = cli(capsys, "audit", "verify")
    assert code == 4 and "篡改" in err
