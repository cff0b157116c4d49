"""Territory assignment: which territory and rep receive a lead, and why.

A territory's ``rules`` is a JSON list of rule objects; a lead matches the territory when it
matches any one rule, and a rule matches when every condition it states holds:

``{"countries": ["US", "CA"], "regions": ["EMEA"], "industries": ["technology"],
"employee_min": 100, "employee_max": null, "revenue_min": 1000000, "revenue_max": null}``

Bounds are inclusive, ``null``/absent means unbounded, and a lead without the value never meets
a bound. Conflicts go to the highest ``priority``, then the most specific rule (most
conditions), then the territory whose least-loaded rep has the fewest open leads, then the
territory name. Within the territory the least-loaded active rep gets the lead (ties by email).
"""

from crm.territories.geo import COUNTRY_REGION, normalize_country, region_of
from crm.territories.router import Assignment, TerritoryRouter, assign_territory
from crm.territories.rules import RULE_KEYS, validate_rules
from crm.territories.service import RuleMove, RulePreview, apply_rule_change, create_territory, preview_rule_change

__all__ = [
    "COUNTRY_REGION",
    "RULE_KEYS",
    "Assignment",
    "RuleMove",
    "RulePreview",
    "TerritoryRouter",
    "apply_rule_change",
    "assign_territory",
    "create_territory",
    "normalize_country",
    "preview_rule_change",
    "region_of",
    "validate_rules",
]
