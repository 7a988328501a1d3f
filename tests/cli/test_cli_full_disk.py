"""The QA repro of D4 through the real command: a full disk mid-answer, then a read-only mount."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cli_process import Cli, make_cli
from filesystems import make_read_only, small_filesystem


@dataclass
class CliOn(Cli):
    """The command with its database in `folder` (its config and log stay in tmp_path)."""

    folder: Path = Path()

    @property
    def db(self) -> Path:
        return self.folder / "chats.db"


def test_a_full_disk_mid_answer_keeps_what_fit_and_history_stays_readable(tmp_path: Path, sim_factory) -> None:
    sim = sim_factory(long_answer=20_000)  # ~125 KB of Markdown, into a 400 KB filesystem
    with small_filesystem(tmp_path / "small", 400) as folder:
        base = make_cli(tmp_path)
        cli = CliOn(root=base.root, env=base.env, folder=folder)

        done = cli.run("ask", "write at length", base_url=sim.base_url)
        assert done.returncode == 1
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "disk is full" in lines[0], done.stderr
        received = len(done.stdout.rstrip("\n"))
        shown = cli.run("show", "1")
        assert shown.returncode == 0, shown.stderr
        answer = shown.stdout.split("── #2 assistant", 1)[1].split("──\n", 1)
        kept = len(answer[1].rstrip("\n"))
        assert "[incomplete" in answer[0]
        assert kept < received  # how much fits depends on when the timed flushes ran; the store test pins a partial keep
        assert f"{kept:,} of {received:,} characters" in lines[0]

        for folder_state in ("full", "read-only"):
            listed = cli.run("list")
            assert listed.returncode == 0 and "write at length" in listed.stdout, (folder_state, listed.stderr)
            assert cli.run("show", "1").stdout == shown.stdout
            found = cli.run("search", "length")
            assert found.returncode == 0 and "\n1  #1  user" in "\n" + found.stdout, (folder_state, found.stderr)
            exported = cli.run("export", "1", "--format", "json")
            assert exported.returncode == 0, (folder_state, exported.stderr)
            assert json.loads(exported.stdout)["messages"][1]["status"] == "incomplete"
            make_read_only(folder)
        copy = tmp_path / "copy.json"
        copy.write_text(exported.stdout, encoding="utf-8")
        refused = cli.run("import", str(copy))  # a command that writes still says why it cannot
        assert refused.returncode == 1 and "not writable" in refused.stderr
