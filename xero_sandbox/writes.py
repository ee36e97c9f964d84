"""PUT/POST /Invoices: create and update with Xero's validation, summarizeErrors and
Idempotency-Key, from a JSON or an XML body. Batches are not transactional: valid elements are
saved even on a 400.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response

from .invoices import apply_invoice
from .responses import envelope, json_response, not_found, post_data_invalid, validation_exception
from .serialize_documents import invoice_json
from .xmlformat import XmlBodyError, from_xml, is_xml

if TYPE_CHECKING:
    from .accounting import Ctx


def _echo(el: Any, errors: list[str]) -> dict[str, Any]:
    out = dict(el) if isinstance(el, dict) else {"Value": el}
    out.setdefault("InvoiceID", "00000000-0000-0000-0000-000000000000")
    out.update(
        {
            "HasErrors": True,
            "StatusAttributeString": "ERROR",
            "ValidationErrors": [{"Message": m} for m in errors],
        }
    )
    return out


async def write_invoices(ctx: Ctx) -> Response:
    sb, org, request = ctx.sb, ctx.org, ctx.request
    raw = await request.body()
    key = request.headers.get("idempotency-key")
    client = ctx.claims.get("client_id", "")
    if key:
        if len(key) > 128:
            return json_response(
                validation_exception([])
                | {"Message": "Idempotency-Key must be 128 characters or fewer"},
                400,
            )
        digest = hashlib.sha256(
            request.method.encode()
            + request.url.path.encode()
            + str(request.query_params).encode()
            + raw
        ).hexdigest()
        cached = sb.idempotency.get((client, org.tenant_id, key))
        if cached and sb.now().timestamp() - cached[0] < sb.config.idempotency_window_s:
            if cached[1] != digest:
                return json_response(
                    {
                        "ErrorNumber": 10,
                        "Type": "ValidationException",
                        "Message": f"Idempotency key '{key}' is used with a different request",
                    },
                    400,
                )
            return Response(
                cached[3],
                status_code=cached[2],
                media_type="application/json; charset=utf-8",
                headers={"Idempotent-Replayed": "true"},
            )
    try:
        body = from_xml(raw, "Invoices") if is_xml(request, raw) else orjson.loads(raw)
    except XmlBodyError as e:
        return post_data_invalid(f"The request body is not valid XML: {e}")
    except orjson.JSONDecodeError:
        return post_data_invalid("The request body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("Invoices"), list):
        return post_data_invalid('Expected a body of the form {"Invoices": [...]}')
    single = ctx.parts[1] if len(ctx.parts) > 1 else None
    if single and len(ctx.parts) > 2:
        return not_found()
    summarize = str(ctx.q.get("summarizeErrors", "true")).lower() != "false"
    results, failed = [], []
    for el in body["Invoices"]:
        if not isinstance(el, dict):
            failed.append(_echo(el, ["The invoice is not valid."]))
            results.append(failed[-1])
            continue
        target = single or el.get("InvoiceID")
        existing = None
        if target:
            existing = org.invoices.get(str(target).lower()) or next(
                (d for d in org.invoices.items.values() if d.number == target), None
            )
            if existing is None:
                if single:
                    return not_found()
                failed.append(_echo(el, ["Invoice could not be found"]))
                results.append(failed[-1])
                continue
            if request.method == "PUT" and not single:
                failed.append(
                    _echo(el, ["An existing invoice cannot be updated with PUT; use POST."])
                )
                results.append(failed[-1])
                continue
        doc, errors = apply_invoice(
            sb, org, el, existing, client, False, ctx.q.get("unitdp") == "4"
        )
        if errors or doc is None:
            failed.append(_echo(el, errors))
            results.append(failed[-1])
        else:
            results.append(
                dict(invoice_json(org, doc, True, ctx.q.get("unitdp") == "4"))
                | {"StatusAttributeString": "OK", "ValidationErrors": []}
            )
    if failed and summarize:
        status, payload = 400, validation_exception(failed)
    else:
        status, payload = 200, envelope(sb.config.provider_name, sb.now(), {"Invoices": results})
    resp = json_response(payload, status)
    if key:
        sb.idempotency[(client, org.tenant_id, key)] = (
            sb.now().timestamp(),
            digest,
            status,
            bytes(resp.body),
        )
        cutoff = sb.now() - timedelta(seconds=sb.config.idempotency_window_s)
        for k in [k for k, v in sb.idempotency.items() if v[0] < cutoff.timestamp()]:
            del sb.idempotency[k]
    return resp


WRITES = {"invoices": write_invoices}
