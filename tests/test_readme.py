"""The README's figures are copies of the generated reports (scripts/readme_sync.py)."""

from scripts.readme_sync import BLOCK, README, main, synced


def test_readme_blocks_equal_the_reports():
    text = README.read_text()
    assert BLOCK.search(text), "README.md has no synced block"
    assert synced(text) == text, "README.md is stale: run python -m scripts.readme_sync"
    assert main(["--check"]) == 0
