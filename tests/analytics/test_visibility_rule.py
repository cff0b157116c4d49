"""The dashboards' who-sees-whom rule (on the warehouse) is the CRM's rule (on PostgreSQL)."""

from __future__ import annotations

from analytics.dimensions import visible_owner_ids as dashboard_visible
from crm.actors import Actor
from crm.permissions import visible_owner_ids as crm_visible
from etl import refresh as refresh_module
from models import Team, User


def _user(email: str, role: str, **kw: object) -> User:
    return User(email=email, name=email.split("@")[0], role=role, password_hash="x", **kw)


def _actor(user: User) -> Actor:
    return Actor(id=user.id, email=user.email, name=user.name, role=user.role, team_id=user.team_id)


def test_dashboard_visible_set_equals_crm_rule_for_manager_with_report_outside_any_team(
    session, database_url, warehouse_path
):
    boss = _user("boss@example.com", "manager")  # no team of their own
    session.add(boss)
    session.flush()
    report = _user("report@example.com", "rep", manager_id=boss.id)  # a direct report outside any team
    lead = _user("lead@example.com", "manager")
    session.add_all([report, lead])
    session.flush()
    team = Team(name="East", manager_id=lead.id)
    session.add(team)
    session.flush()
    lead.team_id = team.id
    member = _user("member@example.com", "rep", team_id=team.id)
    stranger = _user("stranger@example.com", "rep")
    session.add_all([member, stranger])
    session.commit()
    refresh_module.refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    for person in (boss, lead, report, member):
        expected = {str(i) for i in crm_visible(session=session, actor=_actor(person))}
        assert set(dashboard_visible(_actor(person), con=warehouse_path)) == expected
    assert set(dashboard_visible(_actor(boss), con=warehouse_path)) == {str(boss.id), str(report.id)}
    assert set(dashboard_visible(_actor(lead), con=warehouse_path)) == {str(lead.id), str(member.id)}
