"""Every problem type the API answers with: its title (the same wherever it is raised)
and what it means for a client. `GET /problems/{name}` serves each as a page, so a
`type` URI in an answer leads somewhere."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str
    meaning: str  # what happened, and what the client can do


PROBLEM_TYPES: dict[str, ProblemType] = {
    "bad-request": ProblemType(400, "Bad Request", "The request is malformed."),
    "malformed-json": ProblemType(
        400, "Malformed JSON", "The body is not valid JSON (or nested too deeply, or not UTF-8)."
    ),
    "idempotency-key-missing": ProblemType(
        400,
        "Idempotency-Key Required",
        "POST /v1/orders needs an Idempotency-Key header (1 to 255 characters). Send the "
        "same key when retrying the same order.",
    ),
    "invalid-cursor": ProblemType(
        400, "Invalid Cursor", "The cursor is not one this API gave out; start the list again."
    ),
    "unauthorized": ProblemType(
        401,
        "Unauthorized",
        "No API key, or one that is unknown or revoked. Send Authorization: Bearer <key>.",
    ),
    "bad-signature": ProblemType(
        401,
        "Bad Signature",
        "The carrier webhook's X-Signature does not match the body, or its timestamp is "
        "outside the tolerance.",
    ),
    "forbidden": ProblemType(403, "Forbidden", "The caller's role may not do this."),
    "not-found": ProblemType(404, "Not Found", "No such resource, or one the caller may not see."),
    "method-not-allowed": ProblemType(
        405, "Method Not Allowed", "The path exists; the Allow header lists its methods."
    ),
    "conflict": ProblemType(409, "Conflict", "The request conflicts with the resource's state."),
    "location-taken": ProblemType(
        409, "Location Taken", "A location with this id exists; choose another id."
    ),
    "out-of-stock": ProblemType(
        409,
        "Out of Stock",
        "Not enough stock for the skus listed in `skus`; nothing was reserved or charged.",
    ),
    "not-cancellable": ProblemType(
        409,
        "Not Cancellable",
        "The order has shipped, been delivered or already failed: it cannot be cancelled.",
    ),
    "not-awaiting-review": ProblemType(
        409, "Not Awaiting Review", "Only an order in `awaiting_review` takes a review decision."
    ),
    "not-editable": ProblemType(
        409,
        "Not Editable",
        "A parcel of the order is booked at the carrier (or the order has ended): it can no "
        "longer be edited. Cancel it if it can still be cancelled, or return what arrives.",
    ),
    "payment-declined": ProblemType(
        409,
        "Payment Declined",
        "The card declined the edit's difference; nothing changed. Edit with a smaller "
        "difference, or place a new order with another card.",
    ),
    "refund-exceeds-captured": ProblemType(
        409,
        "Refund Exceeds Captured",
        "The refund is more than was captured less what is refunded or being refunded; "
        "`left` says what can still be refunded.",
    ),
    "not-returnable": ProblemType(
        409,
        "Not Returnable",
        "Some items cannot be returned at all; `items` names each sku with why: "
        "not_delivered, window_expired, final_sale or already_returned.",
    ),
    "return-conflict": ProblemType(
        409,
        "Return Conflict",
        "The return is not in a status that takes this: a review only while "
        "`awaiting_review`, a receipt only once `approved` or `in_transit`, and a cancel "
        "by the customer until the parcel is in transit (an operator: until received).",
    ),
    "edit-pending": ProblemType(
        503,
        "Edit Pending",
        "The edit is still being made; retry with the same Idempotency-Key and body for "
        "its outcome.",
    ),
    "idempotency-key-spent": ProblemType(
        409,
        "Idempotency Key Spent",
        "The key named an order whose placement could not finish; use a new key.",
    ),
    "email-taken": ProblemType(409, "Email Taken", "A user with this email exists."),
    "sku-taken": ProblemType(409, "Sku Taken", "A product with this sku exists."),
    "stock-conflict": ProblemType(
        409,
        "Stock Conflict",
        "Units on hand cannot go below the units reserved for open orders.",
    ),
    "payload-too-large": ProblemType(
        413, "Content Too Large", "The body is larger than the API accepts (64 KiB by default)."
    ),
    "unsupported-media-type": ProblemType(
        415, "Unsupported Media Type", "Send the body as application/json."
    ),
    "validation": ProblemType(
        422,
        "Unprocessable Content",
        "The request is well formed but not valid; `errors` points at each field "
        "(`pointer` into the body, or `parameter`).",
    ),
    "idempotency-key-reused": ProblemType(
        422,
        "Idempotency Key Reused",
        "The key was used for a different request body; use a new key for a new order.",
    ),
    "rate-limited": ProblemType(
        429,
        "Too Many Requests",
        "Over the caller's rate limit; retry after Retry-After seconds (see RateLimit).",
    ),
    "too-many-streams": ProblemType(
        429,
        "Too Many Streams",
        "The key holds as many open event streams as it may; close one (or wait for one "
        "to end) before opening another.",
    ),
    "internal": ProblemType(
        500, "Internal Server Error", "An unexpected error; it is logged with the request id."
    ),
    "dependency-unavailable": ProblemType(
        503,
        "Service Unavailable",
        "A dependency (named in `dependency`) is unreachable; retry after Retry-After.",
    ),
    "not-ready": ProblemType(
        503,
        "Service Unavailable",
        "The process cannot serve yet: a dependency named in the body does not answer.",
    ),
    "overloaded": ProblemType(
        503,
        "Service Unavailable",
        "The service is shedding load; retry after Retry-After with the same Idempotency-Key.",
    ),
    "placement-pending": ProblemType(
        503,
        "Service Unavailable",
        "The order with this key is still being placed; retry with the same Idempotency-Key.",
    ),
}


def title_of(problem_type: str) -> str | None:
    known = PROBLEM_TYPES.get(problem_type.removeprefix("/problems/"))
    return known.title if known else None
