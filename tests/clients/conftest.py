"""The client package is tested from the repository path, as `pip install clients/python` ships it."""

import os
import sys
from pathlib import Path

# LiteLLM would otherwise try to download its model cost map when imported.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

CLIENT_PATH = str(Path(__file__).resolve().parents[2] / "clients" / "python")
if CLIENT_PATH not in sys.path:
    sys.path.insert(0, CLIENT_PATH)
