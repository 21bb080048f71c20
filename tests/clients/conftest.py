"""The client package is tested from the repository path, as `pip install clients/python` ships it."""

import sys
from pathlib import Path

CLIENT_PATH = str(Path(__file__).resolve().parents[2] / "clients" / "python")
if CLIENT_PATH not in sys.path:
    sys.path.insert(0, CLIENT_PATH)
