"""Panel rules, one module per sub-capability: set-up and officers (``panels``), the address list and the
invitation lottery (``invitations``), registration (``registration``), quotas and the verifiable draw
(``selection``), confirmations and replacements (``confirmation``), the workspace (``workspace``) and the
retention of personal data (``privacy``).

Services take the acting user explicitly, raise DomainError, flush and never commit; views and the CLI commit.
"""
