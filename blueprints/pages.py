"""HTML pages: the blueprint lives in ``blueprints.web`` (one module per page family)."""
from __future__ import annotations

from blueprints.web import bp  # noqa: F401
