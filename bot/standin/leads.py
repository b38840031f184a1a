"""An embedded imitation of PerfectGym's three leads endpoints, for demo mode and tests.

It also serves the studio's information and the twelve trial-offer operations; those come from
an in-memory studio, ``bot.standin.trials.TrialStudio`` (its rules are described
there). A customer id made by create is known to that studio, so a trial can be booked for it.

It speaks real HTTP on 127.0.0.1 and checks raw JSON against ``docs``-level knowledge of the
vendor (leads-api.md), independently of ``bot.perfectgym.client``'s models, so a wrong alias or a null
sent by the client shows up as a failure here. Where the vendor is undocumented it is strict:

- A body that breaks the request schema (not JSON, wrong types, missing firstname/lastname/email,
  an unknown gender, a bad date) gets 400 ``errorCode: INVALID_REQUEST`` with a ``reference``.
- validate answers 200 with DUPLICATE_CUSTOMER (an earlier created lead has the same e-mail,
  case-insensitively; checked first), INVALID_LEAD_DATA (a MANDATORY field missing, an INACTIVE or
  unconfigured field sent, a value not fitting its field type or ``selectionValues``, a message
  category or channel not in the config, or a non-overridable channel sent with another ``active``
  than configured), or POSSIBLE.
- create refuses the same leads with **400** and ``errorCode`` DUPLICATE_CUSTOMER or
  INVALID_LEAD_DATA (409 is documented as "concurrent modification", so it is not used).
- Message categories need not all be sent back: the spec does not say they must.

Error messages never quote the request's values, so they are safe to log.
"""

from __future__ import annotations

import asyncio
import datetime
import hmac
import json
import logging
import re
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from importlib import resources
from types import TracebackType
from typing import Any, Self, cast

from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from tornado.iostream import StreamClosedError
from tornado.netutil import bind_sockets

from bot.standin.trials import (
    TRIAL_ENDPOINTS,
    TRIAL_ROUTES,
    TrialStudio,
    match_trial_route,
)

log = logging.getLogger(__name__)

ROUTES = {
    "/v1/leads/config": ("GET", "config"),
    "/v1/leads/validate": ("POST", "validate"),
    "/v1/leads/create": ("POST", "create"),
    "/v1/studios/information": ("GET", "studio"),
    "/v1/memberships/membership-offers": ("GET", "membership_offers"),
}
ALL_ROUTES = {**ROUTES, **TRIAL_ROUTES}
GENDERS = frozenset({"MALE", "FEMALE", "UNISEX"})
ADDRESS_FIELDS = ("street", "houseNumber", "zipCode", "city", "countryCode")
_INTEGER = re.compile(r"[+-]?\d+")


def sample_config() -> dict[str, Any]:
    """The bundled config with every field active (demo mode's studio)."""
    text = resources.files("bot.standin").joinpath("sample_config.json").read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


@dataclass(frozen=True)
class StandInRequest:
    method: str
    path: str
    endpoint: str | None
    api_key: str | None
    content_type: str
    body: bytes
    route: str | None = None  # the path template, e.g. /v1/trial-offers/config/{configId}
    path_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StandInReply:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, status: int, payload: object) -> Self:
        return cls(status, json.dumps(payload).encode())

    @classmethod
    def error(cls, status: int, message: str, code: str, reference: str | None = None) -> Self:
        body: dict[str, str] = {"errorMessage": message, "errorCode": code}
        if reference is not None:
            body["reference"] = reference
        return cls(status, json.dumps(body).encode())


class _Refusal(Exception):
    """A lead the vendor would not take: ``code`` is a ValidationStatus or INVALID_REQUEST."""

    def __init__(self, code: str, reference: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reference = reference
        self.message = message


def _invalid_request(reference: str | None, message: str) -> _Refusal:
    return _Refusal("INVALID_REQUEST", reference, message)


def _invalid_data(reference: str, message: str) -> _Refusal:
    return _Refusal("INVALID_LEAD_DATA", reference, message)


class PerfectGymStandIn:
    """Serves ``/v1/leads/{config,validate,create}`` from ``config`` (raw LeadConfig JSON) and
    ``/v1/studios/information`` from ``studio`` (raw StudioInformation JSON; None answers 403,
    as for a key without the STUDIO_READ scope), ``/v1/memberships/membership-offers`` from
    ``offers`` (raw MembershipOffer JSON; None answers 403, as for a key without the memberships
    scope) and the trial-offer operations from ``trials`` (403 on all twelve while
    ``trial_scopes`` is False, as for a key without TRIAL_OFFER_*).

    ``stop()`` then ``start()`` listens again on the same port, so a client keeps its URL.
    """

    def __init__(
        self,
        config: dict[str, Any],
        api_key: str,
        studio: dict[str, Any] | None = None,
        *,
        trials: TrialStudio | None = None,
        trial_scopes: bool = True,
        offers: list[dict[str, Any]] | None = None,
    ) -> None:
        self.config = config
        self.studio = studio
        self.offers = offers
        self.trials = trials if trials is not None else TrialStudio()
        self.trial_scopes = trial_scopes
        self.created: list[dict[str, Any]] = []
        self._api_key = api_key
        self._port = 0
        self._server: HTTPServer | None = None
        self._in_flight: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(port={self._port})"

    @property
    def url(self) -> str:
        if self._port == 0:
            raise RuntimeError("stand-in not started")
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        if self._server is not None:
            return
        sockets = bind_sockets(self._port, "127.0.0.1", family=socket.AF_INET)
        self._port = sockets[0].getsockname()[1]
        self._server = HTTPServer(self._on_request)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        """Stop listening, drop open connections and let running requests finish."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.stop()
        await server.close_all_connections()
        if self._in_flight:
            await asyncio.wait(self._in_flight)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def respond(self, request: StandInRequest) -> StandInReply:
        """Answer one request as PerfectGym would."""
        if request.api_key is None or not hmac.compare_digest(
            request.api_key.encode(), self._api_key.encode()
        ):
            return StandInReply.error(
                401, "Authentication failed. Wrong or missing api key.", "UNAUTHORIZED"
            )
        if request.endpoint is None:
            return StandInReply.error(404, "Entity does not exist.", "NOT_FOUND")
        method, _ = ALL_ROUTES[request.route or request.path]
        if request.method != method:
            return StandInReply.error(405, "Method not allowed.", "METHOD_NOT_ALLOWED")
        if request.endpoint in TRIAL_ENDPOINTS:
            return self._trial(request)
        if request.endpoint == "config":
            return StandInReply.json(200, self.config)
        if request.endpoint == "studio":
            if self.studio is None:
                return StandInReply.error(
                    403,
                    "Authorization failed. The caller has no privilege to the given resource.",
                    "FORBIDDEN",
                )
            return StandInReply.json(200, self.studio)
        if request.endpoint == "membership_offers":
            if self.offers is None:
                return StandInReply.error(
                    403,
                    "Authorization failed. The caller has no privilege to the given resource.",
                    "FORBIDDEN",
                )
            return StandInReply.json(200, self.offers)
        if not request.content_type.lower().startswith("application/json"):
            return StandInReply.error(415, "Content type not supported.", "UNSUPPORTED_MEDIA_TYPE")
        try:
            lead = _lead_body(request.body)
            self._check(lead)
        except _Refusal as refusal:
            if request.endpoint == "validate" and refusal.code != "INVALID_REQUEST":
                return StandInReply.json(200, {"status": refusal.code})
            return StandInReply.error(400, refusal.message, refusal.code, refusal.reference)
        if request.endpoint == "validate":
            return StandInReply.json(200, {"status": "POSSIBLE"})
        self.created.append(lead)
        number = len(self.created)
        self.trials.customers.add(5000 + number)
        return StandInReply.json(
            200,
            {
                "id": 1000 + number,
                "customerId": 5000 + number,
                "uuid": str(uuid.uuid4()),
                "customerNumber": f"1-{number}",
            },
        )

    def _trial(self, request: StandInRequest) -> StandInReply:
        if not self.trial_scopes:
            return StandInReply.error(
                403,
                "Authorization failed. The caller has no privilege to the given resource.",
                "FORBIDDEN",
            )
        has_body = request.method == "POST" and request.endpoint != "confirm"
        if has_body and not request.content_type.lower().startswith("application/json"):
            return StandInReply.error(415, "Content type not supported.", "UNSUPPORTED_MEDIA_TYPE")
        assert request.endpoint is not None
        status, payload = self.trials.respond(
            request.endpoint, request.path_params, request.query, request.body
        )
        return StandInReply.json(status, payload)

    def _on_request(self, request: HTTPServerRequest) -> None:
        task = asyncio.ensure_future(self._serve(request))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _serve(self, request: HTTPServerRequest) -> None:
        incoming = read_request(request)
        try:
            reply = await self.respond(incoming)
        except Exception:
            log.exception("stand-in failed on %s %s", request.method, request.path)
            reply = StandInReply.error(500, "Unexpected system error.", "INTERNAL_ERROR")
        write_reply(request, reply)

    def _check(self, lead: dict[str, Any]) -> None:
        email = lead["leadCustomer"]["email"].casefold()
        if any(old["leadCustomer"]["email"].casefold() == email for old in self.created):
            raise _Refusal("DUPLICATE_CUSTOMER", "leadCustomer.email", "Customer already exists.")
        customer = lead["leadCustomer"]
        for mode_key, value, reference in (
            ("telephoneMode", customer.get("telephone"), "leadCustomer.telephone"),
            ("genderMode", customer.get("gender"), "leadCustomer.gender"),
            ("dateOfBirthMode", customer.get("dateOfBirth"), "leadCustomer.dateOfBirth"),
            ("addressMode", lead.get("address"), "address"),
        ):
            _check_mode(self.config.get(mode_key), _present(value), reference)
        _check_additional(self.config, lead.get("additionalInformation") or [])
        _check_preferences(self.config, lead.get("communicationPreferences") or [])


def read_request(request: HTTPServerRequest) -> StandInRequest:
    template: str | None = request.path if request.path in ROUTES else None
    params: dict[str, str] = {}
    if template is None:
        matched = match_trial_route(request.path)
        if matched is not None:
            template, params = matched
    return StandInRequest(
        method=request.method or "",
        path=request.path,
        endpoint=ALL_ROUTES[template][1] if template else None,
        api_key=request.headers.get("X-API-KEY"),
        content_type=request.headers.get("Content-Type", ""),
        body=request.body,
        route=template,
        path_params=params,
        query={
            name: values[-1].decode("utf-8", "replace")
            for name, values in request.query_arguments.items()
            if values
        },
    )


def write_reply(request: HTTPServerRequest, reply: StandInReply) -> None:
    log.debug("stand-in %s %s -> %s", request.method, request.path, reply.status)
    headers = HTTPHeaders(
        {"Content-Type": "application/json", "Content-Length": str(len(reply.body))}
    )
    for name, value in reply.headers:
        headers[name] = value
    try:
        reason = HTTPStatus(reply.status).phrase
    except ValueError:
        reason = "Unknown"
    connection = cast(HTTP1Connection, request.connection)
    try:
        connection.write_headers(
            ResponseStartLine("HTTP/1.1", reply.status, reason), headers, reply.body
        )
        connection.finish()
    except StreamClosedError:
        pass


def _present(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _check_mode(mode: object, present: bool, reference: str) -> None:
    if mode == "MANDATORY" and not present:
        raise _invalid_data(reference, "Mandatory field is missing.")
    if mode == "INACTIVE" and present:
        raise _invalid_data(reference, "Field is inactive and must not be sent.")


def _check_additional(config: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    fields = {f["additionalFieldId"]: f for f in config.get("additionalInformation") or []}
    seen: set[int] = set()
    for index, item in enumerate(sent):
        reference = f"additionalInformation[{index}]"
        field_id = item["additionalFieldId"]
        field = fields.get(field_id)
        if field is None or field_id in seen:
            raise _invalid_data(reference, "Unknown or repeated additional field.")
        seen.add(field_id)
        answers = [item["value"]] if item.get("value") is not None else []
        answers += item.get("values") or []
        _check_mode(field.get("mode"), any(_present(a) for a in answers), reference)
        for answer in answers:
            _check_answer(field, answer, reference)
        multi = field.get("type") == "LIST" and field.get("allowMultiSelection") is True
        if len(answers) > 1 and not multi:
            raise _invalid_data(reference, "Only one value allowed.")
    for field_id, field in fields.items():
        if field.get("mode") == "MANDATORY" and field_id not in seen:
            raise _invalid_data("additionalInformation", "Mandatory additional field is missing.")


def _check_answer(field: dict[str, Any], answer: str, reference: str) -> None:
    kind = field.get("type")
    if kind == "LIST":
        ok = answer in (field.get("selectionValues") or [])
    elif kind == "NUMERIC":
        ok = _INTEGER.fullmatch(answer) is not None
    elif kind == "BOOLEAN":
        ok = answer in ("true", "false")
    elif kind == "DATE":
        ok = _is_date(answer)
    else:
        ok = True
    if not ok:
        raise _invalid_data(reference, "Value does not fit the additional field.")


def _check_preferences(config: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    configured = {
        pref.get("messageCategory"): {
            c["communicationChannel"]: c for c in pref.get("channels") or []
        }
        for pref in config.get("communicationPreferences") or []
    }
    for index, pref in enumerate(sent):
        channels = configured.get(pref.get("messageCategory"))
        if channels is None:
            raise _invalid_data(f"communicationPreferences[{index}]", "Unknown message category.")
        for position, choice in enumerate(pref.get("channels") or []):
            reference = f"communicationPreferences[{index}].channels[{position}]"
            channel = channels.get(choice["communicationChannel"])
            if channel is None:
                raise _invalid_data(reference, "Channel not configured for this category.")
            locked = channel.get("customerOverridable") is not True
            if locked and bool(choice.get("active")) != bool(channel.get("active")):
                raise _invalid_data(reference, "Channel may not be overridden by the customer.")


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _lead_body(body: bytes) -> dict[str, Any]:
    """Parse and schema-check a LeadCreationRequest; JSON nulls count as absent keys."""
    try:
        lead = json.loads(body)
    except ValueError:
        raise _invalid_request(None, "Request body is not valid JSON.") from None
    _need_object(lead, "$")
    customer = lead.get("leadCustomer")
    _need_object(customer, "leadCustomer")
    for key in ("firstname", "lastname", "email"):
        if not isinstance(customer.get(key), str) or not customer[key].strip():
            raise _invalid_request(f"leadCustomer.{key}", "Must not be blank.")
    _optional_strings(customer, "leadCustomer", ("thirdPartyId", "telephone", "gender"))
    if customer.get("gender") is not None and customer["gender"] not in GENDERS:
        raise _invalid_request("leadCustomer.gender", "Unknown gender.")
    if customer.get("dateOfBirth") is not None and not _is_date(customer["dateOfBirth"]):
        raise _invalid_request("leadCustomer.dateOfBirth", "Must be an ISO-8601 date.")
    language = customer.get("language")
    if language is not None:
        _need_object(language, "leadCustomer.language")
        if not isinstance(language.get("languageCode"), str):
            raise _invalid_request("leadCustomer.language.languageCode", "Must be a string.")
        _optional_strings(language, "leadCustomer.language", ("countryCode",))
    address = lead.get("address")
    if address is not None:
        _need_object(address, "address")
        for key in ADDRESS_FIELDS:
            if not isinstance(address.get(key), str):
                raise _invalid_request(f"address.{key}", "Must be a string.")
    _optional_strings(lead, "", ("notes", "externalIdentifier"))
    for index, item in enumerate(_list(lead, "additionalInformation", "additionalInformation")):
        reference = f"additionalInformation[{index}]"
        _need_object(item, reference)
        if type(item.get("additionalFieldId")) is not int:
            raise _invalid_request(f"{reference}.additionalFieldId", "Must be an integer.")
        _optional_strings(item, reference, ("value",))
        if not all(isinstance(v, str) for v in _list(item, "values", f"{reference}.values")):
            raise _invalid_request(f"{reference}.values", "Must be a list of strings.")
    for index, pref in enumerate(
        _list(lead, "communicationPreferences", "communicationPreferences")
    ):
        reference = f"communicationPreferences[{index}]"
        _need_object(pref, reference)
        _optional_strings(pref, reference, ("messageCategory",))
        for position, choice in enumerate(_list(pref, "channels", f"{reference}.channels")):
            where = f"{reference}.channels[{position}]"
            _need_object(choice, where)
            if not isinstance(choice.get("communicationChannel"), str):
                raise _invalid_request(f"{where}.communicationChannel", "Must be a string.")
            for key in ("active", "customerOverridable"):
                if choice.get(key) is not None and not isinstance(choice[key], bool):
                    raise _invalid_request(f"{where}.{key}", "Must be a boolean.")
    return cast(dict[str, Any], lead)


def _need_object(value: object, reference: str) -> None:
    if not isinstance(value, dict):
        raise _invalid_request(None if reference == "$" else reference, "Must be an object.")


def _optional_strings(obj: dict[str, Any], prefix: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise _invalid_request(f"{prefix}.{key}".lstrip("."), "Must be a string.")


def _list(obj: dict[str, Any], key: str, reference: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid_request(reference, "Must be a list.")
    return value
