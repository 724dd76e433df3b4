"""The question bank over REST: create, read, search, edit, archive; who may do what."""

from __future__ import annotations

from tests.questions.qsupport import api, create_question, secret_question
from tests.support.api import Actor, create_room, create_user, join
from tests.support.server import Server


def test_create_read_edit_delete(server: Server, lead: Actor) -> None:
    author = create_user(server, lead)
    q = create_question(server, author)
    assert q["title"] == "Shout it" and q["difficulty"] == "easy"
    assert q["tags"] == ["strings", "warm-up"]
    assert q["tests"][0]["compare"] == "trailing_whitespace"
    assert q["tests"][1]["compare"] == "exact"
    assert q["author"] == {"id": author.user_id, "name": author.name}
    assert q["used"] == 0 and q["archived"] is False
    with api(server) as c:
        r = c.get(f"/api/questions/{q['id']}", headers=author.headers)
        assert r.status_code == 200 and r.json()["solution"] == q["solution"]
        r = c.patch(f"/api/questions/{q['id']}", headers=author.headers,
                    json={"title": "Shout it loud", "tags": ["Strings"]})
        assert r.status_code == 200, r.text
        assert r.json()["title"] == "Shout it loud" and r.json()["tags"] == ["strings"]
        r = c.delete(f"/api/questions/{q['id']}", headers=author.headers)
        assert r.status_code == 200 and r.json()["outcome"] == "deleted"
        assert c.get(f"/api/questions/{q['id']}", headers=author.headers).status_code == 404


def test_only_author_and_leads_edit(server: Server, lead: Actor) -> None:
    author = create_user(server, lead)
    other = create_user(server, lead)
    q = create_question(server, author)
    with api(server) as c:
        # Other interviewers read and use it, but do not change it.
        assert c.get(f"/api/questions/{q['id']}", headers=other.headers).status_code == 200
        r = c.patch(f"/api/questions/{q['id']}", headers=other.headers, json={"title": "x"})
        assert r.status_code == 403
        assert c.delete(f"/api/questions/{q['id']}", headers=other.headers).status_code == 403
        r = c.patch(f"/api/questions/{q['id']}", headers=lead.headers, json={"title": "By lead"})
        assert r.status_code == 200 and r.json()["title"] == "By lead"


def test_candidates_strangers_and_no_token_are_refused(server: Server, lead: Actor) -> None:
    q = create_question(server, lead)
    room = create_room(server, lead)
    candidate = join(server, room)
    with api(server) as c:
        for method, path, body in (
            ("GET", "/api/questions", None),
            ("POST", "/api/questions", secret_question()),
            ("GET", f"/api/questions/{q['id']}", None),
            ("PATCH", f"/api/questions/{q['id']}", {"title": "x"}),
            ("DELETE", f"/api/questions/{q['id']}", None),
            ("POST", f"/api/questions/{q['id']}/try", {}),
        ):
            r = c.request(method, path, headers=candidate.headers, json=body)
            assert r.status_code == 403, (method, path, r.text)
            r = c.request(method, path, json=body)
            assert r.status_code == 401, (method, path, r.text)
            r = c.request(method, path, json=body, headers={"Authorization": "Bearer nope"})
            assert r.status_code == 401, (method, path, r.text)


def test_search_by_text_tag_difficulty_with_pages(server: Server, lead: Actor) -> None:
    me = create_user(server, lead)
    marker = f"zq{me.user_id}x"
    for i in range(5):
        create_question(
            server, me, title=f"{marker} graph {i}", tags=[marker, "graphs"],
            difficulty="hard" if i % 2 else "medium",
        )
    create_question(server, me, title="Unrelated", prompt=f"mentions {marker} in prompt")
    with api(server) as c:
        def search(**params: object) -> dict[str, object]:
            r = c.get("/api/questions", headers=me.headers, params=params)
            assert r.status_code == 200, r.text
            body: dict[str, object] = r.json()
            return body

        assert search(q=marker)["total"] == 6  # title and prompt
        assert search(q=marker.upper())["total"] == 6  # any case
        assert search(tag=marker)["total"] == 5
        assert search(tag=marker, difficulty="hard")["total"] == 2
        page = search(tag=marker, limit=2, offset=0)
        rest = search(tag=marker, limit=2, offset=4)
        assert page["total"] == 5 and len(page["items"]) == 2  # type: ignore[arg-type]
        assert len(rest["items"]) == 1  # type: ignore[arg-type]
        assert search(q="100%_\\")["total"] == 0  # LIKE wildcards are plain text
        r = c.get("/api/questions", headers=me.headers, params={"difficulty": "absurd"})
        assert r.status_code == 422


def test_used_question_is_archived_not_deleted(server: Server, lead: Actor) -> None:
    me = create_user(server, lead)
    q = create_question(server, me)
    room = create_room(server, me)
    with api(server) as c:
        r = c.post(f"/api/rooms/{room['id']}/questions", headers=me.headers,
                   json={"question_id": q["id"]})
        assert r.status_code == 201, r.text
        r = c.delete(f"/api/questions/{q['id']}", headers=me.headers)
        assert r.status_code == 200 and r.json()["outcome"] == "archived"
        got = c.get(f"/api/questions/{q['id']}", headers=me.headers).json()
        assert got["archived"] is True and got["used"] == 1
        listed = c.get("/api/questions", headers=me.headers, params={"q": q["id"]}).json()
        ids = [i["id"] for i in c.get("/api/questions", headers=me.headers,
                                      params={"limit": 100, "q": "Shout"}).json()["items"]]
        assert q["id"] not in ids and listed["total"] == 0
        archived = c.get("/api/questions", headers=me.headers,
                         params={"archived": "true", "q": "Shout", "limit": 100}).json()
        assert q["id"] in [i["id"] for i in archived["items"]]
        # An archived question is not attached to new rooms; the old room keeps its copy.
        other = create_room(server, me)
        r = c.post(f"/api/rooms/{other['id']}/questions", headers=me.headers,
                   json={"question_id": q["id"]})
        assert r.status_code == 409
        items = c.get(f"/api/rooms/{room['id']}/questions", headers=me.headers).json()["items"]
        assert [i["title"] for i in items] == ["Shout it"]


def test_bad_input_and_caps(server: Server, lead: Actor) -> None:
    with api(server) as c:
        def post(**overrides: object) -> int:
            r = c.post("/api/questions", headers=lead.headers, json=secret_question(**overrides))
            return r.status_code

        assert post(title="") == 422
        assert post(title="x" * 201) == 422
        assert post(difficulty="trivial") == 422
        assert post(starters={"cobol": "x"}) == 422
        assert post(tags=[f"t{i}" for i in range(11)]) == 422
        assert post(tags=["<script>"]) == 422
        assert post(tests=[{"name": f"t{i}"} for i in range(51)]) == 422
        assert post(tests=[{"name": "t", "stdin": "x" * (64 * 1024 + 1)}]) == 422
        assert post(tests=[{"name": "t", "compare": "fuzzy"}]) == 422
        assert post(prompt="x" * 20_001) == 422
        assert post(rubric=[{"criterion": ""}]) == 422
        assert post(unknown_field=1) == 422
        r = c.patch("/api/questions/nope", headers=lead.headers, json={"title": "x"})
        assert r.status_code == 404


def test_bank_writes_are_rate_limited(server_factory: object, lead: Actor) -> None:
    from tests.conftest import ServerFactory
    from tests.support.api import bootstrap_lead

    assert callable(server_factory)
    factory: ServerFactory = server_factory  # type: ignore[assignment]
    srv = factory()
    me = bootstrap_lead(srv)
    with api(srv) as c:
        codes = [
            c.post("/api/questions", headers=me.headers,
                   json={"title": f"q{i}"}).status_code
            for i in range(61)
        ]
    assert codes[:60] == [201] * 60 and codes[60] == 429
