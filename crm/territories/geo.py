"""Countries and regions: normalising a country and deriving a lead's region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COUNTRY_ALIASES: dict[str, str] = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "u.s.": "US",
    "canada": "CA",
    "mexico": "MX",
    "brazil": "BR",
    "argentina": "AR",
    "chile": "CL",
    "colombia": "CO",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "ireland": "IE",
    "germany": "DE",
    "france": "FR",
    "spain": "ES",
    "italy": "IT",
    "netherlands": "NL",
    "belgium": "BE",
    "switzerland": "CH",
    "austria": "AT",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "finland": "FI",
    "poland": "PL",
    "portugal": "PT",
    "south africa": "ZA",
    "nigeria": "NG",
    "kenya": "KE",
    "egypt": "EG",
    "united arab emirates": "AE",
    "uae": "AE",
    "saudi arabia": "SA",
    "israel": "IL",
    "india": "IN",
    "china": "CN",
    "japan": "JP",
    "south korea": "KR",
    "korea": "KR",
    "singapore": "SG",
    "australia": "AU",
    "new zealand": "NZ",
    "indonesia": "ID",
    "philippines": "PH",
    "vietnam": "VN",
    "thailand": "TH",
    "malaysia": "MY",
}
_REGION_COUNTRIES: dict[str, tuple[str, ...]] = {
    "North America": ("US", "CA"),
    "LATAM": ("MX", "BR", "AR", "CL", "CO", "PE"),
    "EMEA": (
        "GB",
        "IE",
        "DE",
        "FR",
        "ES",
        "IT",
        "NL",
        "BE",
        "CH",
        "AT",
        "SE",
        "NO",
        "DK",
        "FI",
        "PL",
        "PT",
        "ZA",
        "NG",
        "KE",
        "EG",
        "AE",
        "SA",
        "IL",
    ),
    "APAC": ("IN", "CN", "JP", "KR", "SG", "AU", "NZ", "ID", "PH", "VN", "TH", "MY", "HK", "TW"),
}
COUNTRY_REGION: dict[str, str] = {c: region for region, cs in _REGION_COUNTRIES.items() for c in cs}


def normalize_country(value: Any) -> str | None:
    """ISO-3166 alpha-2 code for a country code or common English name (else the upper-cased text)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return COUNTRY_ALIASES.get(text.lower(), text.upper())


def region_of(fields: Mapping[str, Any]) -> str | None:
    """The lead's region: its own ``region`` field, else derived from its country."""
    region = fields.get("region")
    if region:
        return str(region).strip()
    country = normalize_country(fields.get("country"))
    return COUNTRY_REGION.get(country) if country else None
