"""Scorecards through the REST API: drafts, submitting, blindness, reopening, who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import Actor, client, create_room, create_user, join
from tests.support.server import Server

DEFAULTS = ["Problem solving", "Code quality", "Communication", "Testing"]


@dataclass
class Panel:
    """A room with two interviewers, a candidate, a stranger and another room's candidate."""

    server: Server
    lead: Actor
    owner: Actor
    co: Actor
    stranger: Actor
    candidate: Actor
    other_candidate: Actor
    room: dict[str, Any]

    def url(self, tail: str = "") -> str:
        return f"/api/rooms/{self.room['id']}/scorecards{tail}"


def _panel(server: Server, lead: Actor) -> Panel:
    owner = create_user(server, lead, name="Olga Owner")
    co = create_user(server, lead, name="Cole Co")
    stranger = create_user(server, lead, name="Stan Stranger")
    room = create_room(server, owner, candidate_name="Casey Candidate")
    other = create_room(server, stranger)
    with client(server) as c:
        c.post(
            f"/api/rooms/{room['id']}/interviewers",
            headers=owner.headers,
            json={"user_id": co.user_id},
        ).raise_for_status()
    return Panel(server, lead, owner, co, stranger, join(server, room), join(server, other), room)


@pytest.fixture
def panel(server: Server, lead: Actor) -> Panel:
    return _panel(server, lead)


def _card(score: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "ratings": [
            {"criterion": "Problem solving", "score": score, "comment": "found the approach"},
            {"criterion": "Testing", "score": None, "comment": ""},
        ],
        **extra,
    }


def _put(c: httpx.Client, p: Panel, who: Actor, body: dict[str, Any]) -> httpx.Response:
    return c.put(p.url("/me"), headers=who.headers, json=body)


def test_draft_saves_and_reads_back_with_the_rubric(panel: Panel) -> None:
    with client(panel.server) as c:
        r = _put(c, panel, panel.owner, _card(summary="Solid start"))
        assert r.status_code == 200, r.text
        card = r.json()
        assert card["status"] == "draft"
        assert card["interviewer"] == {"id": panel.owner.user_id, "name": "Olga Owner"}
        assert card["ratings"][0] == {
            "criterion": "Problem solving",
            "score": 3,
            "comment": "found the approach",
        }
        assert card["summary"] == "Solid start" and card["recommendation"] is None
        # Left out, the summary keeps its value; the recommendation is set.
        r = _put(c, panel, panel.owner, _card(score=4, recommendation="yes"))
        assert r.json()["summary"] == "Solid start"
        assert r.json()["recommendation"] == "yes"
        listing = c.get(panel.url(), headers=panel.owner.headers).json()
    assert [i["interviewer"]["id"] for i in listing["items"]] == [panel.owner.user_id]
    assert listing["items"][0]["ratings"][0]["score"] == 4
    assert [c["criterion"] for c in listing["criteria"]][-4:] == DEFAULTS
    assert listing["progress"] == {"submitted": 0, "expected": 2}


def test_bad_ratings_are_refused(panel: Panel) -> None:
    with client(panel.server) as c:
        for ratings, status in [
            ([{"criterion": "Juggling", "score": 2}], 422),  # not in the rubric
            ([{"criterion": "Testing", "score": 5}], 422),
            ([{"criterion": "Testing", "score": 0}], 422),
            ([{"criterion": "Testing"}, {"criterion": "testing"}], 422),  # twice
            ([{"criterion": "Testing", "comment": "x" * 4001}], 422),
            ([{"criterion": "Testing", "score": 2}] * 31, 422),
        ]:
            r = _put(c, panel, panel.owner, {"ratings": ratings})
            assert r.status_code == status, (ratings[:1], r.text)
        for extra in (
            {"recommendation": "maybe"},
            {"summary": "s" * 20_001},
            {"unknown": 1},
        ):
            r = _put(c, panel, panel.owner, {"ratings": [], **extra})
            assert r.status_code == 422, extra
        r = _put(c, panel, panel.owner, {"ratings": [{"criterion": "  testing ", "score": 1}]})
        assert r.status_code == 200
        assert r.json()["ratings"][0]["criterion"] == "Testing"


def test_submit_needs_a_recommendation_and_locks_the_card(panel: Panel) -> None:
    with client(panel.server) as c:
        r = c.post(panel.url("/me/submit"), headers=panel.owner.headers)
        assert r.status_code == 422  # nothing written yet
        _put(c, panel, panel.owner, _card())
        r = c.post(panel.url("/me/submit"), headers=panel.owner.headers)
        assert r.status_code == 422
        assert "recommendation" in r.json()["detail"]
        _put(c, panel, panel.owner, _card(recommendation="strong_yes", summary="Hire"))
        r = c.post(panel.url("/me/submit"), headers=panel.owner.headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "submitted" and r.json()["submitted_at"]
        assert _put(c, panel, panel.owner, _card(score=1)).status_code == 409
        assert c.post(panel.url("/me/submit"), headers=panel.owner.headers).status_code == 409
        card = c.get(panel.url(), headers=panel.owner.headers).json()["items"][0]
    assert card["ratings"][0]["score"] == 3 and card["summary"] == "Hire"


def test_blind_until_your_own_is_submitted(panel: Panel) -> None:
    with client(panel.server) as c:
        _put(c, panel, panel.owner, _card(recommendation="yes", summary="Owner's view"))
        c.post(panel.url("/me/submit"), headers=panel.owner.headers).raise_for_status()
        _put(c, panel, panel.co, _card(score=2, recommendation="no", summary="Co's view"))

        co_view = c.get(panel.url(), headers=panel.co.headers).json()
        assert [i["summary"] for i in co_view["items"]] == ["Co's view"]
        assert co_view["others_hidden"] is True
        assert co_view["progress"] == {"submitted": 1, "expected": 2}
        # The owner has submitted: the co's draft is visible to them.
        owner_view = c.get(panel.url(), headers=panel.owner.headers).json()
        assert sorted(i["summary"] for i in owner_view["items"]) == ["Co's view", "Owner's view"]
        assert owner_view["others_hidden"] is False
        # The dashboard says the same.
        status = c.get(
            "/api/scorecards/status",
            params={"room_id": panel.room["id"]},
            headers=panel.co.headers,
        ).json()["items"][0]
        assert status["submitted"] == 1 and status["expected"] == 2
        assert status["mine"] == "draft" and status["recommendations"] is None

        c.post(panel.url("/me/submit"), headers=panel.co.headers).raise_for_status()
        co_view = c.get(panel.url(), headers=panel.co.headers).json()
        assert sorted(i["summary"] for i in co_view["items"]) == ["Co's view", "Owner's view"]
        status = c.get(
            "/api/scorecards/status",
            params={"room_id": panel.room["id"]},
            headers=panel.co.headers,
        ).json()["items"][0]
    assert status["submitted"] == 2 and status["mine"] == "submitted"
    assert sorted(r["recommendation"] for r in status["recommendations"]) == ["no", "yes"]


def test_a_lead_sees_all_and_reopens(panel: Panel) -> None:
    with client(panel.server) as c:
        _put(c, panel, panel.co, _card(recommendation="no", summary="Draft only"))
        view = c.get(panel.url(), headers=panel.lead.headers).json()
        assert [i["summary"] for i in view["items"]] == ["Draft only"]
        assert view["others_hidden"] is False
        reopen = panel.url(f"/{panel.co.user_id}/reopen")
        assert c.post(reopen, headers=panel.lead.headers).status_code == 409  # a draft
        c.post(panel.url("/me/submit"), headers=panel.co.headers).raise_for_status()
        # Only a lead reopens: not the author, not the room's owner.
        for who in (panel.co, panel.owner):
            assert c.post(reopen, headers=who.headers).status_code == 403
        r = c.post(reopen, headers=panel.lead.headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "draft" and r.json()["submitted_at"] is None
        r = _put(c, panel, panel.co, _card(recommendation="yes", summary="Changed my mind"))
        assert r.status_code == 200
        missing = panel.url(f"/{panel.owner.user_id}/reopen")
        assert c.post(missing, headers=panel.lead.headers).status_code == 404


def test_strangers_candidates_and_other_rooms_are_refused(panel: Panel) -> None:
    with client(panel.server) as c:
        _put(c, panel, panel.owner, _card(recommendation="yes", summary="secret judgment"))
        reopen = panel.url(f"/{panel.owner.user_id}/reopen")
        calls = [
            ("GET", panel.url(), None),
            ("PUT", panel.url("/me"), _card()),
            ("POST", panel.url("/me/submit"), None),
            ("POST", reopen, None),
            ("GET", f"/api/rooms/{panel.room['id']}/report?format=json", None),
            ("GET", f"/api/rooms/{panel.room['id']}/report?format=pdf", None),
        ]
        for method, url, body in calls:
            r = c.request(method, url, json=body)
            assert r.status_code == 401, (method, url)
            for who, allowed in (
                (panel.candidate, {403}),
                (panel.other_candidate, {403, 404}),
                (panel.stranger, {403, 404}),
            ):
                r = c.request(method, url, json=body, headers=who.headers)
                assert r.status_code in allowed, (who.name, method, url, r.status_code)
                assert "secret judgment" not in r.text
        # Candidates reach no scorecard endpoint at all.
        for method, url in (
            ("GET", "/api/scorecards/waiting"),
            ("GET", f"/api/scorecards/status?room_id={panel.room['id']}"),
            ("GET", "/api/scorecard-criteria"),
        ):
            assert c.request(method, url, headers=panel.candidate.headers).status_code == 403
            assert c.request(method, url).status_code == 401
        # A stranger's status request leaves the room out.
        r = c.get(
            "/api/scorecards/status",
            params={"room_id": panel.room["id"]},
            headers=panel.stranger.headers,
        )
        assert r.status_code == 200 and r.json()["items"] == []
        too_many = [("room_id", f"r{i}") for i in range(101)]
        r = c.get("/api/scorecards/status", params=too_many, headers=panel.owner.headers)
        assert r.status_code == 422


def test_waiting_for_your_scorecard(panel: Panel) -> None:
    with client(panel.server) as c:

        def waiting(who: Actor) -> list[str]:
            r = c.get("/api/scorecards/waiting", headers=who.headers)
            assert r.status_code == 200
            return [i["room_id"] for i in r.json()["items"]]

        assert panel.room["id"] not in waiting(panel.co)  # not ended yet
        c.post(f"/api/rooms/{panel.room['id']}/end", headers=panel.owner.headers)
        assert panel.room["id"] in waiting(panel.co)
        assert panel.room["id"] in waiting(panel.owner)
        assert panel.room["id"] not in waiting(panel.stranger)
        # Cards may still be written after the end (the scorecard page comes after it).
        _put(c, panel, panel.co, _card(recommendation="yes")).raise_for_status()
        c.post(panel.url("/me/submit"), headers=panel.co.headers).raise_for_status()
        assert panel.room["id"] not in waiting(panel.co)
        assert panel.room["id"] in waiting(panel.owner)


def test_leads_edit_the_default_criteria(server: Server, lead: Actor) -> None:
    p = _panel(server, lead)
    with client(server) as c:
        before = c.get("/api/scorecard-criteria", headers=p.owner.headers).json()["items"]
        assert [i["criterion"] for i in before][:4] == DEFAULTS or before
        new = [*before, {"criterion": "System design", "description": "Sketches the parts"}]
        assert (
            c.put(
                "/api/scorecard-criteria", headers=p.owner.headers, json={"items": new}
            ).status_code
            == 403
        )
        r = c.put("/api/scorecard-criteria", headers=lead.headers, json={"items": new})
        assert r.status_code == 200, r.text
        try:
            rubric = c.get(p.url(), headers=p.owner.headers).json()["criteria"]
            assert "System design" in [i["criterion"] for i in rubric]
            body = {"ratings": [{"criterion": "System design", "score": 4}]}
            assert _put(c, p, p.owner, body).status_code == 200
            for bad in (
                {"items": []},
                {"items": [{"criterion": "A"}, {"criterion": "a"}]},
                {"items": [{"criterion": ""}]},
                {"items": [{"criterion": f"c{i}"} for i in range(31)]},
            ):
                r = c.put("/api/scorecard-criteria", headers=lead.headers, json=bad)
                assert r.status_code == 422, bad
        finally:
            c.put("/api/scorecard-criteria", headers=lead.headers, json={"items": before})
        # The owner's draft keeps the criterion it was written against.
        card = c.get(p.url(), headers=p.owner.headers).json()["items"][0]
        assert card["ratings"][0]["criterion"] == "System design"
        assert _put(c, p, p.owner, body).status_code == 200
