"""Test-wide environment, set before Django reads its settings (see also settings.TESTING)."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "t" * 40)
