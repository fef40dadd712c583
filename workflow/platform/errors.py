"""Domain errors; the web layer maps each to one HTTP status."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message, **self.extra}


class InvalidInput(DomainError):
    """Malformed or missing input: names the field."""

    status = 400
    code = "invalid_input"

    def __init__(self, message: str, field: str | None = None, **extra):
        super().__init__(message, field=field, **extra)
        self.field = field


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The role or department of the caller may not do this."""

    status = 403
    code = "forbidden"

    def __init__(self, message: str, needed_roles=(), rules=()):
        super().__init__(message, needed_roles=list(needed_roles), rules=list(rules))
        self.needed_roles = list(needed_roles)
        self.rules = list(rules)


class Conflict(DomainError):
    """A lost race or a step the current status does not allow."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, current_version=None, status=None, **extra):
        super().__init__(message, current_version=current_version, status=status, **extra)


class RuleFailed(DomainError):
    """A business rule refused the step; ``rules`` lists the rule codes."""

    status = 422
    code = "rule_failed"

    def __init__(self, rules: list[str], message: str = ""):
        from workflow.core.rules import rule_messages

        rules = list(dict.fromkeys(rules))
        super().__init__(message or "；".join(rule_messages(rules)), rules=rules)
        self.rules = rules


def refuse_unknown(given, allowed, label: str = "未知字段") -> None:
    """Raise InvalidInput naming every name in ``given`` outside ``allowed``.

    Names may be of any type (a malformed multipart part can carry no name at all).
    """
    unknown = sorted(str(name) for name in set(given) - set(allowed))
    if unknown:
        raise InvalidInput(f"{label}：{', '.join(unknown)}", field=unknown[0])
