"""The command line: flags, exit codes, --check-config on good and bad files.

Each file in configs/bad/ lists the exact errors it must produce, one
"# expect: FILE:line:col: message" comment per error; configs/good/ and
every shipped configuration must pass.
"""
import glob
import os
import re

from harness import ROOT, main, run

HERE = os.path.dirname(os.path.abspath(__file__))


def test_check_good():
    files = sorted(glob.glob(os.path.join(HERE, "configs", "good", "*.yaml")))
    files += [os.path.join(ROOT, "exporter.yaml")]
    files += sorted(glob.glob(os.path.join(ROOT, "examples", "*", "exporter.yaml")))
    assert len(files) >= 3, files
    for f in files:
        rc, out, err = run(["--check-config", "--config.file=" + f])
        assert rc == 0, (f, err)
        assert re.match(r"^.*: OK \(\d+ inputs, \d+ metrics\)\n$", out), out
        assert err == "", err


def test_check_bad():
    files = sorted(glob.glob(os.path.join(HERE, "configs", "bad", "*.yaml")))
    assert len(files) >= 8, files
    for f in files:
        want = [l[len("# expect: "):].replace("FILE", f)
                for l in open(f).read().split("\n") if l.startswith("# expect: ")]
        assert want, "no expectations in " + f
        rc, out, err = run(["--check-config", "--config.file=" + f])
        assert rc == 1, (f, rc)
        assert out == "", out
        got = err.rstrip("\n").split("\n")
        assert got == want, "%s:\n got %s\nwant %s" % (f, got, want)


def test_bad_config_stops_daemon():
    """The daemon refuses to start on a bad file, naming the problem."""
    f = os.path.join(HERE, "configs", "bad", "names.yaml")
    rc, out, err = run(["--config.file=" + f, "--web.listen-address=127.0.0.1:0"])
    assert rc == 1 and "names.yaml:8:11: counter names must end" in err, err
    rc, out, err = run(["--config.file=/nonexistent.yaml", "--check-config"])
    assert rc == 1
    assert err == "/nonexistent.yaml: cannot open: No such file or directory\n", err
    # A directory is named as one, with the file in it when there is one.
    rc, out, err = run(["--config.file=" + ROOT, "--check-config"])
    assert rc == 1
    assert err == ("%s: is a directory, not a configuration file (did you mean "
                   "%s/exporter.yaml?)\n" % (ROOT, ROOT)), err


def test_flags():
    rc, out, err = run(["--version"])
    assert rc == 0 and re.match(r"^tokentail \d+\.\d+\.\d+\n$", out), out
    rc, out, err = run(["--help"])
    assert rc == 0 and "--config.file=PATH" in out and "--web.listen-address" in out
    assert "--once" in out and "--check-config" in out and "--log.level" in out
    rc, out, err = run(["-h"])
    assert rc == 0 and out.startswith("usage: tokentail")

    usage_errors = [
        (["--bogus"], "tokentail: unknown flag --bogus"),
        (["--log.level=loud"], "tokentail: --log.level must be debug, info, warn or "
                               "error, not \"loud\""),
        (["--web.listen-address=nope"], "tokentail: bad --web.listen-address \"nope\": "
                                        "expected [HOST]:PORT"),
        (["--web.listen-address=:99999"], "the port must be a number from 0 to 65535"),
        (["--web.listen-address=::1:80"], "an IPv6 address must be in brackets"),
        (["some.log"], "tokentail: file arguments need --once: some.log"),
        (["--once", "--check-config"], "exclude each other"),
        (["--config.file"], "tokentail: flag --config.file needs a value"),
    ]
    for args, msg in usage_errors:
        rc, out, err = run(args)
        assert rc == 2, (args, rc, err)
        assert msg in err, (args, err)
        assert err.endswith("Try 'tokentail --help' for more information.\n"), err
        assert len(err.strip().split("\n")) == 2, err

    # Values work both as --flag=value and as --flag value.
    cfg = os.path.join(HERE, "configs", "good", "minimal.yaml")
    rc, out, err = run(["--config.file", cfg, "--check-config"])
    assert rc == 0, err


def test_default_config_path():
    """Without --config.file: ./exporter.yaml, then the one meson install
    puts under its sysconfdir (what --help says)."""
    rc, out, err = run(["--check-config"], cwd=ROOT)
    assert rc == 0 and out.startswith("exporter.yaml: OK"), (out, err)
    rc, out, _ = run(["--help"])
    system = re.search(r"then (\S+/tokentail/exporter\.yaml)\)", out).group(1)
    if "TOKENTAIL_SYSCONFDIR" in os.environ:  # from meson
        assert system == os.environ["TOKENTAIL_SYSCONFDIR"] + \
            "/tokentail/exporter.yaml", system
    empty = os.path.join(HERE, "configs")  # holds no exporter.yaml
    rc, out, err = run(["--check-config"], cwd=empty)
    if not os.path.exists(system):
        assert rc == 1 and err.startswith(system + ": cannot open"), err


if __name__ == "__main__":
    main([test_check_good, test_check_bad, test_bad_config_stops_daemon, test_flags,
          test_default_config_path])
