"""The reads forms need: people and territories as option lists and the admin page show them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm.lookups import list_people, list_territories, list_territory_names


def test_people_lists_every_user_by_id_ordered_by_name(session: Session, org) -> None:
    people = list_people(session=session)
    names = [p.name for p in people.values()]
    assert names == sorted(names) and {"Ana", "Leo", "Maya", "Oscar"} <= set(names)
    leo = people[org.leo.id]
    assert (leo.role, leo.email, leo.team_id, leo.is_active) == ("rep", "leo@example.com", org.leo.team_id, True)
    assert people[org.maya.id].manager_id is None


def test_territory_names_and_territories_with_their_rules(session: Session, org) -> None:
    assert list_territory_names(session=session) == {org.east.id: "East", org.west.id: "West"}
    views = {t.name: t for t in list_territories(session=session)}
    assert views["West"].rules == [{"countries": ["US"]}]
    assert (views["East"].priority, views["East"].is_active) == (100, True)
