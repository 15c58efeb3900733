"""Database credentials never on the command line; what reaches a message is redacted."""

from __future__ import annotations

from tests.sync.fixtures import cli_env, run_cli


def test_a_password_in_db_on_argv_is_refused_before_anything_connects(tmp_path):
    url = "postgresql://hq:s3cretpw@127.0.0.1:1/hq"
    for args in (("hq", "status", "--db", url), ("hq", "migrate", "--db", url),
                 ("hq", "import", str(tmp_path / "b.tar"), "--db", url, "--key-dir", str(tmp_path))):
        out = run_cli(*args, env=cli_env())
        assert out.returncode == 2, args
        assert out.stderr.count("\n") == 1 and "PGPASSFILE" in out.stderr
        assert "s3cretpw" not in out.stderr + out.stdout


def test_the_same_url_from_the_environment_is_used_and_redacted_in_errors():
    out = run_cli("hq", "status", env=cli_env(COUNTER_HQ_DB="postgresql://hq:s3cretpw@127.0.0.1:1/hq"))
    assert out.returncode == 1
    assert "cannot connect to PostgreSQL" in out.stderr and "s3cretpw" not in out.stderr
    assert "Traceback" not in out.stderr
