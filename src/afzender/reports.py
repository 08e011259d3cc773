"""Deprecated: Renderings of audits moved to :mod:`afzender.audit.render`. This name stays for one
release; using it warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    'afzender.audit.render': ('COLOURS', 'WORDS', 'check_message', 'audit_markdown', 'shares_svg', 'audit_html'),
})
