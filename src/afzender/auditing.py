"""Deprecated for one release: audits and checks moved to :mod:`afzender.audit.rules`,
:mod:`afzender.audit.results`, :mod:`afzender.audit.check`, :mod:`afzender.audit.accounts`.
Using a name here warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.audit.rules": ("ACCOUNT_TYPES", "ALLOWED", "PRINCIPLE", "DEFAULT_DOUBT"),
    "afzender.audit.results": ("AUDIT_FILES", "CheckResult", "FlaggedPost", "AccountAudit",
                               "AuditResult"),
    "afzender.audit.check": ("check_draft",),
    "afzender.audit.accounts": ("parse_date", "period_of", "read_account_types", "audit_accounts"),
})
