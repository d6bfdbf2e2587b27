"""The columns every export can add so that files from different providers line up."""

from __future__ import annotations

from typing import Any

from bulkcontacts.contacts.phones import PhoneError, normalize_phone


def shared_columns(
    provider: str,
    provider_id: Any,
    phone: Any,
    *,
    full_name: Any = None,
    first_name: Any = None,
    last_name: Any = None,
    email: Any = None,
    created_at: Any = None,
    updated_at: Any = None,
    region: str = "IN",
) -> dict[str, Any]:
    """``phone_number`` as E.164 digits (empty when the provider's value is not a valid number)."""
    try:
        digits: str | None = str(normalize_phone(phone, region))
    except PhoneError:
        digits = None
    if not full_name:
        full_name = " ".join(str(part) for part in (first_name, last_name) if part) or None
    return {
        "provider": provider,
        "provider_id": None if provider_id is None else str(provider_id),
        "phone_number": digits,
        "full_name": full_name,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "created_at": created_at,
        "updated_at": updated_at,
    }
