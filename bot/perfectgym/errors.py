"""Every failure of a PerfectGym call, as one exception class each: the caller's retry policy
decides by the class, never by parsing messages."""

from __future__ import annotations

from bot.perfectgym.models import ErrorBody


class PerfectGymError(Exception):
    """Base class. ``str()`` holds method, path, status and vendor codes, never request data."""

    def __init__(
        self, what: str, *, status: int | None = None, error: ErrorBody | None = None
    ) -> None:
        super().__init__(what)
        self.status = status
        self.error = error

    def __str__(self) -> str:
        parts = [str(self.args[0])]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.error is not None:
            for label, value in (
                ("errorCode", self.error.error_code),
                ("reference", self.error.reference),
                ("traceId", self.error.trace_id),
            ):
                if value:
                    parts.append(f"{label}={value}")
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class PerfectGymUnavailable(PerfectGymError):
    """Timeout, connection failure, 408, 429 or 5xx: retrying later may help.

    ``maybe_processed`` is False only when the request surely had no effect (no connection, 408,
    429); otherwise a retried create may duplicate the lead, so check with validate first.
    """

    def __init__(
        self,
        what: str,
        *,
        status: int | None = None,
        error: ErrorBody | None = None,
        retry_after: float | None = None,
        maybe_processed: bool = True,
    ) -> None:
        super().__init__(what, status=status, error=error)
        self.retry_after = retry_after
        self.maybe_processed = maybe_processed


class PerfectGymThrottled(PerfectGymUnavailable):
    """Not sent: this key's budget for the endpoint (or a 429's pause) would have kept the call
    waiting past its deadline. ``retry_after`` says when it would fit; nothing was processed."""

    def __init__(self, what: str, *, retry_after: float) -> None:
        super().__init__(what, retry_after=retry_after, maybe_processed=False)


class PerfectGymAuthError(PerfectGymError):
    """401/403: wrong key or a missing scope (LEAD_*, STUDIO_READ, TRIAL_OFFER_*); an operator
    must act, or (for a trial-offer scope) the feature stays off."""


class PerfectGymRejected(PerfectGymError):
    """Any other 4xx: the vendor refused this request; sending it again unchanged will not help."""


class PerfectGymProtocolError(PerfectGymError):
    """A 2xx whose body is not JSON or does not match the schema (for create: lead was made)."""
