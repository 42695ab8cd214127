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
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "basicAuth": {"type": "http", "scheme": "basic"},
            },
            "schemas": {
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
