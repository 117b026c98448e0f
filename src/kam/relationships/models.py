"""Tables of the buying centre: roles, placeholders, our links, stage."""

from __future__ import annotations
