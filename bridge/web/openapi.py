"""The OpenAPI 3 document of the HTTP API (served at ``/api/v1/openapi.json``).

Written by hand so that it states the contract of DESIGN.md rather than whatever the code
happens to do; a test checks that every route of the app is documented and nothing else.
"""

from __future__ import annotations

from typing import Any

from bridge import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_DRAFT = {"$ref": "#/components/schemas/Draft"}


def _change(summary: str, role: str, body: dict[str, Any], bearer: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": bearer,
        "parameters": [_ID],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "properties": body}}},
        },
        "responses": {
            "200": _json(_DRAFT, "The draft after the change"),
            "400": _err("Bad request; detail names the field"),
            "401": _err("No valid API token"),
            "403": _err(f"Token lacks the {role} role for the draft's track"),
            "404": _err("No such draft"),
            "409": _err("The draft changed meanwhile or its state does not allow this"),
        },
    }


def _read(summary: str, params: list[dict[str, Any]], ok: dict[str, Any], bearer: Any) -> Any:
    return {
        "get": {
            "summary": summary,
            "security": bearer,
            "parameters": params,
            "responses": {
                "200": ok,
                "401": _err("No valid API token"),
                "403": _err("Token lacks the viewer role"),
                "404": _err("No such draft or version"),
            },
        }
    }


def _draft_paths(bearer: Any) -> dict[str, Any]:
    version = {"version": {"type": "integer", "description": "the version this is based on"}}
    return {
        "/api/v1/drafts": _read(
            "Drafts, newest first",
            [
                {"name": "state", "in": "query", "schema": {"type": "string"}},
                {"name": "incident", "in": "query", "schema": {"type": "string"}},
                {"name": "regulator", "in": "query", "schema": {"type": "string"}},
            ],
            _json({"type": "object"}, "drafts: summaries"),
            bearer,
        ),
        "/api/v1/drafts/{id}": {
            **_read("One draft with its latest version", [_ID], _json(_DRAFT, "Draft"), bearer),
            "patch": _change(
                "Edit fields: a new version (role editor)",
                "editor",
                {**version, "fields": {"type": "object"}},
                bearer,
            ),
        },
        "/api/v1/drafts/{id}/versions/{n}": _read(
            "One version of a draft",
            [_ID, {"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}}],
            _json({"type": "object"}, "Version"),
            bearer,
        ),
        "/api/v1/drafts/{id}/diff": _read(
            "What changed between two versions",
            [
                _ID,
                {"name": "from", "in": "query", "schema": {"type": "integer"}},
                {"name": "to", "in": "query", "schema": {"type": "integer"}},
            ],
            _json({"type": "object"}, "fields and a unified text diff"),
            bearer,
        ),
        "/api/v1/drafts/{id}/attachment": _read(
            "The document attached to the notice (PTS: DOCX)",
            [_ID],
            {"description": "the document"},
            bearer,
        ),
        "/api/v1/drafts/{id}/approve": {
            "post": _change(
                "Approve a version: queued for sending (role approver, audited)",
                "approver",
                {
                    **version,
                    "comment": {"type": "string"},
                    "incomplete_ok": {"type": "boolean"},
                },
                bearer,
            )
        },
        "/api/v1/drafts/{id}/reject": {
            "post": _change(
                "Decide not to send it (role approver, audited)",
                "approver",
                {"reason": {"type": "string"}},
                bearer,
            )
        },
        "/api/v1/drafts/{id}/resolve": {
            "post": _change(
                "Settle a message in doubt: resend or mark_sent (role approver, audited)",
                "approver",
                {"action": {"type": "string", "enum": ["resend", "mark_sent"]}, "comment": {}},
                bearer,
            )
        },
    }


def _console_paths() -> dict[str, Any]:
    """The NOC console: its live stream, HTML pages (signed-in people) and bundled assets."""
    page = {"200": {"description": "HTML page"}, "303": {"description": "no session: to /login"}}
    pages = {
        "/": "Board: open incidents, verdicts, deadlines",
        "/incidents/{id}": "Incident detail: alerts, impact, criteria, obligations",
        "/drafts/{id}": "Draft editor: fields, preview, versions, approve or reject",
        "/sent": "Sent notices",
        "/audit": "Audit log (admin or auditor)",
        "/users": "Users (admin)",
        "/privacy": "Privacy cases, register downloads, report form (viewer:privacy; else 403)",
        "/privacy/{id}": "Privacy case: facts, obligations, drafts, exemption, revisions",
    }
    return {
        "/api/v1/events": {
            "get": {
                "summary": (
                    "Server-Sent Events: 'changed' with the incident, draft and privacy case "
                    "ids of the tracks the caller may view, a seq"
                ),
                "responses": {
                    "200": {"description": "text/event-stream"},
                    "401": _err("No session or API token"),
                },
            }
        },
        **{path: {"get": {"summary": what, "responses": page}} for path, what in pages.items()},
        "/static": {
            "get": {
                "summary": "Console assets bundled with the package (CSS, JavaScript)",
                "responses": {"200": {"description": "file"}},
            }
        },
    }


def _people_paths(bearer: Any) -> dict[str, Any]:
    """Sign-in pages (bridge/web/login.py) and the users/tokens API (bridge/web/users_api.py)."""
    form = {"200": {"description": "HTML form"}, "303": {"description": "next step"}}
    posted = {
        "303": {"description": "next step (TOTP, enrolment, or the page asked for)"},
        "401": {"description": "wrong credentials or code: the form again"},
        "403": {"description": "CSRF token missing or wrong"},
        "429": {"description": "this client address is throttled"},
    }
    admin = {
        "401": _err("Not signed in and no API token"),
        "403": _err("Lacks the admin role (admin or admin:all), or CSRF token missing"),
    }
    user_body = {
        "name": {"type": "string"},
        "display_name": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}},
        "password": {"type": "string", "minLength": 12},
        "disabled": {"type": "boolean"},
        "reset_totp": {"type": "boolean"},
        "unlock": {"type": "boolean"},
        "reset_password": {"type": "boolean"},
    }

    def op(summary: str, ok: str, extra: dict[str, Any] | None = None, **more: Any) -> Any:
        return {
            "summary": summary,
            "security": bearer,
            "responses": {"200": {"description": ok}, **admin, **(extra or {})},
            **more,
        }

    body = {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "properties": user_body}}},
    }
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    bad = {"400": _err("Bad request; detail names the field")}
    return {
        "/login": {
            "get": {"summary": "Sign-in form (user name, password)", "responses": form},
            "post": {"summary": "Password step; starts a session", "responses": posted},
        },
        "/login/totp": {
            "get": {"summary": "TOTP code form", "responses": form},
            "post": {"summary": "TOTP step; completes the session", "responses": posted},
        },
        "/enrol/totp": {
            "get": {"summary": "TOTP enrolment: otpauth URI and QR code", "responses": form},
            "post": {"summary": "First code; completes enrolment", "responses": posted},
        },
        "/logout": {"post": {"summary": "End the session", "responses": posted}},
        "/api/v1/users": {
            "get": op("Users (no hashes or secrets)", "{users: [...]}"),
            "post": op(
                "Create a user; without password a one-time one is returned once",
                "{user, password?}",
                {**bad, "409": _err("Name taken")},
                requestBody=body,
            ),
        },
        "/api/v1/users/{name}": {
            "patch": op(
                "Change roles, name shown, disabled, TOTP, lock or password",
                "{user, password?}",
                {**bad, "404": _err("No such user"), "409": _err("Would lock yourself out")},
                parameters=[name],
                requestBody=body,
            )
        },
        "/api/v1/tokens": {
            "get": op("API tokens (never the secret)", "{tokens: [...]}"),
            "post": op(
                "Create an API token; the secret is returned this once",
                "{token, secret}",
                bad,
                requestBody=body,
            ),
        },
        "/api/v1/tokens/{id}/revoke": {
            "post": op(
                "Revoke an API token", "{token}", {"404": _err("No such token")}, parameters=[_ID]
            )
        },
    }


_CASE = {"$ref": "#/components/schemas/PrivacyCase"}


def _privacy_op(
    summary: str, role: str, ok: dict[str, Any], params: list[dict[str, Any]], bearer: Any
) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": bearer,
        "parameters": params,
        "responses": {
            **ok,
            "400": _err("Bad request; detail names the field"),
            "401": _err("No valid API token"),
            "403": _err(f"Token lacks the {role} role on the privacy track (refusal audited)"),
            "404": _err("No such case, or the privacy track is off"),
            "409": _err("The case changed meanwhile (revision)"),
            "503": _err("Store unavailable: the access could not be audited, nothing served"),
        },
    }


def _privacy_paths(bearer: Any) -> dict[str, Any]:
    fields = {
        "type": "object",
        "description": "case facts: detected_at (required on create), occurred_at, "
        "occurred_estimated, nature (breach|risk), jurisdictions, circumstances, "
        "circumstances_text, description, location, causes, consequences, data_categories, "
        "data_description, affected, measures_taken, measures_planned, other_providers, "
        "cross_border, unreadable, unreadable_how",
    }

    def body(props: dict[str, Any]) -> dict[str, Any]:
        schema = {"type": "object", "properties": props}
        return {"required": True, "content": {"application/json": {"schema": schema}}}

    revision = {"revision": {"type": "integer", "description": "the revision this is based on"}}
    ok_case = {"200": _json(_CASE, "The case with its obligations and drafts")}
    download = {"200": {"description": "the register: every privacy case, one row each"}}
    return {
        "/api/v1/privacy/cases": {
            "get": _privacy_op(
                "Privacy cases, newest first (viewer:privacy; the read is audited)",
                "viewer",
                {"200": _json({"type": "object"}, "cases: summaries with obligations")},
                [{"name": "state", "in": "query", "schema": {"type": "string"}}],
                bearer,
            ),
            "post": {
                **_privacy_op(
                    "Report a privacy incident (editor:privacy)",
                    "editor",
                    {"201": _json(_CASE, "The case opened")},
                    [],
                    bearer,
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": fields}},
                },
            },
        },
        "/api/v1/privacy/cases/{id}": {
            "get": _privacy_op(
                "One privacy case in full (viewer:privacy; audited)",
                "viewer",
                ok_case,
                [_ID],
                bearer,
            ),
            "patch": {
                **_privacy_op(
                    "Change facts: a new revision (editor:privacy)",
                    "editor",
                    ok_case,
                    [_ID],
                    bearer,
                ),
                "requestBody": body({**revision, "fields": fields}),
            },
        },
        "/api/v1/privacy/cases/{id}/revisions": {
            "get": _privacy_op(
                "Every revision of a case (viewer:privacy; audited)",
                "viewer",
                {"200": _json({"type": "object"}, "revisions: case documents, oldest first")},
                [_ID],
                bearer,
            )
        },
        "/api/v1/privacy/cases/{id}/state": {
            "post": {
                **_privacy_op(
                    "Close or reopen a case (editor:privacy)", "editor", ok_case, [_ID], bearer
                ),
                "requestBody": body(
                    {**revision, "state": {"type": "string", "enum": ["open", "closed"]}}
                ),
            }
        },
        "/api/v1/privacy/cases/{id}/exemption": {
            "post": {
                **_privacy_op(
                    "Record (or with reason null withdraw) the exemption from notifying "
                    "subscribers (approver:privacy; audited)",
                    "approver",
                    ok_case,
                    [_ID],
                    bearer,
                ),
                "requestBody": body(
                    {
                        **revision,
                        "reason": {
                            "type": "string",
                            "nullable": True,
                            "enum": ["no_adverse_effect", "data_unreadable", None],
                        },
                        "comment": {"type": "string"},
                    }
                ),
            }
        },
        "/api/v1/privacy/register.csv": {
            "get": _privacy_op(
                "The register as CSV (viewer:privacy; the export is audited)",
                "viewer",
                download,
                [],
                bearer,
            )
        },
        "/api/v1/privacy/register.xlsx": {
            "get": _privacy_op(
                "The register as XLSX (viewer:privacy; the export is audited)",
                "viewer",
                download,
                [],
                bearer,
            )
        },
    }


def document() -> dict[str, Any]:
    bearer: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "incident-bridge",
            "version": __version__,
            "description": "Alertmanager webhooks to regulator-reportable incidents.",
        },
        "paths": {
            "/api/v1/alertmanager": {
                "post": {
                    "summary": "Alertmanager webhook (version 4)",
                    "security": [{"bearerAuth": []}, {"basicAuth": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Webhook"}}
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["accepted", "incidents"],
                                "properties": {
                                    "accepted": {"type": "integer"},
                                    "incidents": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                            "Stored durably and evaluated",
                        ),
                        "400": _err("Bad JSON or schema; detail names the field"),
                        "401": _err("Missing or wrong credentials"),
                        "413": _err("Body larger than server.max_body_bytes"),
                        "503": _err("Store unavailable: nothing was stored, retry"),
                    },
                }
            },
            "/api/v1/incidents": {
                "get": {
                    "summary": "Incident summaries",
                    "security": bearer,
                    "parameters": [
                        {
                            "name": "state",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["open", "closed", "all"],
                                "default": "open",
                            },
                        }
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "incidents": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/IncidentSummary"},
                                    }
                                },
                            },
                            "Incidents, newest first",
                        ),
                        "400": _err("Unknown state"),
                        "401": _err("No valid API token"),
                        "403": _err("Token lacks the viewer role"),
                    },
                }
            },
            "/api/v1/incidents/{id}": {
                "get": {
                    "summary": "One incident in full",
                    "security": bearer,
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Incident"}, "The incident"),
                        "401": _err("No valid API token"),
                        "403": _err("Token lacks the viewer role"),
                        "404": _err("No such incident"),
                    },
                }
            },
            **_draft_paths(bearer),
            **_privacy_paths(bearer),
            "/api/v1/audit": {
                "get": {
                    "summary": "The audit log, newest first (roles admin or auditor)",
                    "security": bearer,
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                        {"name": "before", "in": "query", "schema": {"type": "integer"}},
                        {"name": "target", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": _json({"type": "object"}, "entries: seq, at, actor, action…"),
                        "401": _err("No valid API token"),
                        "403": _err("Token lacks the admin or auditor role"),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3 document"}},
                }
            },
            "/healthz": {
                "get": {"summary": "Liveness", "responses": {"200": {"description": "alive"}}}
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: started and store reachable",
                    "responses": {
                        "200": {"description": "ready"},
                        "503": _err("not ready; detail says why"),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {"200": {"description": "text exposition format"}},
                }
            },
            **_console_paths(),
            **_people_paths(bearer),
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "basicAuth": {"type": "http", "scheme": "basic"},
            },
            "schemas": {
                "Draft": {
                    "type": "object",
                    "required": ["id", "incident", "regulator", "kind", "state", "version"],
                    "properties": {
                        "id": {"type": "string"},
                        "incident": {"type": "string"},
                        "regulator": {"type": "string"},
                        "kind": {"type": "string"},
                        "state": {"type": "string"},
                        "version": {"type": "integer"},
                        "latest": {"type": "object"},
                        "versions": {"type": "array", "items": {"type": "object"}},
                        "approved": {"type": "object", "nullable": True},
                        "delivery": {"type": "object"},
                    },
                },
                "PrivacyCase": {
                    "type": "object",
                    "required": ["id", "state", "revision", "obligations", "case", "drafts"],
                    "properties": {
                        "id": {"type": "string"},
                        "state": {"type": "string", "enum": ["open", "closed"]},
                        "revision": {"type": "integer"},
                        "nature": {"type": "string", "enum": ["breach", "risk"]},
                        "exemption": {"type": "string", "nullable": True},
                        "obligations": {"type": "array", "items": {"type": "object"}},
                        "next_due_at": {"type": "string", "nullable": True},
                        "case": {"type": "object", "description": "every fact and the history"},
                        "drafts": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                },
                "Webhook": {
                    "type": "object",
                    "required": ["version", "alerts"],
                    "properties": {
                        "version": {"type": "string", "enum": ["4"]},
                        "groupKey": {"type": "string"},
                        "truncatedAlerts": {"type": "integer", "minimum": 0},
                        "status": {"type": "string", "enum": ["firing", "resolved"]},
                        "receiver": {"type": "string"},
                        "alerts": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["status", "fingerprint", "startsAt"],
                                "properties": {
                                    "status": {"type": "string", "enum": ["firing", "resolved"]},
                                    "fingerprint": {"type": "string"},
                                    "labels": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    },
                                    "annotations": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    },
                                    "startsAt": {"type": "string", "format": "date-time"},
                                    "endsAt": {"type": "string", "format": "date-time"},
                                    "generatorURL": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "IncidentSummary": {
                    "type": "object",
                    "required": [
                        "id",
                        "state",
                        "started_at",
                        "ended_at",
                        "alerts",
                        "jurisdictions",
                        "impact",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "state": {"type": "string", "enum": ["open", "closed"]},
                        "started_at": {"type": "string", "format": "date-time"},
                        "ended_at": {"type": "string", "format": "date-time", "nullable": True},
                        "alerts": {"type": "array", "items": {"type": "string"}},
                        "jurisdictions": {"type": "array", "items": {"type": "string"}},
                        "impact": {"type": "object"},
                        "reportable": {
                            "type": "object",
                            "additionalProperties": {"type": "boolean"},
                        },
                        "warnings": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Incident": {
                    "allOf": [
                        {"$ref": "#/components/schemas/IncidentSummary"},
                        {
                            "type": "object",
                            "required": ["assessments", "obligations"],
                            "properties": {
                                "assessments": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": [
                                            "regulator",
                                            "reportable",
                                            "since",
                                            "criteria",
                                        ],
                                        "properties": {
                                            "regulator": {"type": "string"},
                                            "reportable": {"type": "boolean"},
                                            "since": {"type": "string", "nullable": True},
                                            "seconds_to_reportable": {
                                                "type": "number",
                                                "nullable": True,
                                            },
                                            "criteria": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "required": ["id", "met", "reason"],
                                                    "properties": {
                                                        "id": {"type": "string"},
                                                        "met": {"type": "boolean"},
                                                        "reason": {"type": "string"},
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                                "obligations": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    ]
                },
            },
        },
    }
