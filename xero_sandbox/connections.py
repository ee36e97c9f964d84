"""GET /connections (with ?authEventId=) and DELETE /connections/{id}: tenantless endpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .identity import sb_of
from .msdate import iso7
from .responses import json_response, problem
from .tokens import bearer_claims


async def list_connections(request: Request) -> Response:
    sb = sb_of(request)
    headers = sb.limits.app_headers()
    claims, detail = bearer_claims(sb, request)
    if claims is None:
        return problem(401, detail or "AuthenticationUnsuccessful", headers)
    event = request.query_params.get("authEventId")
    with sb.lock:
        rows = [
            {
                "id": c.id,
                "authEventId": c.auth_event_id,
                "tenantId": c.tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": sb.orgs[c.tenant_id].name if c.tenant_id in sb.orgs else "",
                "createdDateUtc": iso7(c.created),
                "updatedDateUtc": iso7(c.updated),
            }
            for c in sb.identity.connections.values()
            if c.user_id == claims["xero_userid"]
            and c.client_id == claims["client_id"]
            and (not event or c.auth_event_id == event)
        ]
    return json_response(rows, headers=headers)


async def delete_connection(request: Request) -> Response:
    sb = sb_of(request)
    headers = sb.limits.app_headers()
    claims, detail = bearer_claims(sb, request)
    if claims is None:
        return problem(401, detail or "AuthenticationUnsuccessful", headers)
    cid = request.path_params["id"]
    with sb.lock:
        c = sb.identity.connections.get(cid)
        if c is None or c.user_id != claims["xero_userid"] or c.client_id != claims["client_id"]:
            return Response(status_code=404, headers=headers)
        del sb.identity.connections[cid]
    return Response(status_code=204, headers=headers)
