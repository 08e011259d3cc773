"""Deprecated for one release: the renderings of audits moved to :mod:`afzender.audit.render`.
Using a name here warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.audit.render": ("COLOURS", "WORDS", "check_message", "audit_markdown", "shares_svg",
                              "audit_html"),
})
