"""escalada: escalation policy as code for service desks."""

from __future__ import annotations

__version__ = "0.1.0"
