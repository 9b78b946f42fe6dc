"""Text of one SuperNode: one example per line in its data directory; the last 20% of lines is the test split."""

from pathlib import Path

TEST_FRACTION = 0.2


def load(data_dir, data_file):
    path = Path(data_dir) / data_file
    if not path.is_file():
        raise FileNotFoundError("llm fine-tuning: no %s in this node's data directory %s (node config data-dir)"
                                % (data_file, data_dir))
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    split = int(len(lines) * (1 - TEST_FRACTION))
    return lines[:split], lines[split:]
