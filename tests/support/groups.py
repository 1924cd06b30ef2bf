"""Groups of tests that must not run beside each other (pytest-xdist's ``loadgroup``)."""

from __future__ import annotations

import pytest

# Tests that bound a time or a rate: one after another on one worker, never beside each other.
TIMED = pytest.mark.xdist_group("timed")
