"""The front-end preview through a real server: a React + TypeScript page bundled by esbuild
in the sandbox, served with the preview's CSP; who may build it and open its link; the cache;
build errors; and a token that never reaches the log."""

from __future__ import annotations

import httpx
import pytest

from codepair.domain.projects.preview import BUNDLE, BUNDLE_CSS, CSP
from tests.conftest import ServerFactory
from tests.hub.nodeclients import NodeClients
from tests.projects.preview_support import PAGE, STYLED, preview_room
from tests.projects.test_project_tests_runs import call
from tests.projects.test_starter_projects import ESBUILD, require_tools
from tests.runner.runner_support import require_bwrap
from tests.runner.test_runs_api import runner_env
from tests.support.api import bootstrap_lead, create_user, join
from tests.support.server import Server


@pytest.fixture(scope="module")
def preview_server(server_factory: ServerFactory) -> Server:
    require_bwrap()
    require_tools(("node", str(ESBUILD)))
    return server_factory(runner_env(CODEPAIR_RUNNER_COMPILE_TIME_LIMIT_SECONDS="20"))


def get(server: Server, url: str) -> httpx.Response:
    return httpx.get(f"{server.url}{url}", timeout=30)


@pytest.mark.timeout(120)
def test_a_page_is_bundled_and_served_sandboxed(preview_server: Server) -> None:
    lead = bootstrap_lead(preview_server)
    room = preview_room(preview_server, lead)
    built = call(preview_server, lead, "POST", f"/api/rooms/{room['id']}/preview")
    assert built.status_code == 200, built.text
    body = built.json()
    assert body["status"] == "ok" and body["cached"] is False, body
    url = body["url"]
    assert url.startswith(f"/api/rooms/{room['id']}/preview/") and url.endswith("/index.html")

    page = get(preview_server, url)  # no Authorization: the link is the credential
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    assert "sandbox allow-scripts" in CSP and "connect-src 'none'" in CSP
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert page.headers["content-type"].startswith("text/html")
    # The entry script now loads the bundle, as a deferred classic script.
    assert f'<script defer src="{BUNDLE}">' in page.text and "src/main.tsx" not in page.text
    bundle = get(preview_server, url.replace("index.html", BUNDLE))
    assert bundle.status_code == 200 and "Hello, preview v1" in bundle.text
    assert "createRoot" in bundle.text or "react-dom" in bundle.text  # React is bundled in
    assert bundle.headers["content-security-policy"] == CSP
    style = get(preview_server, url.replace("index.html", "style.css"))
    assert style.headers["content-type"].startswith("text/css") and "rebeccapurple" in style.text
    assert get(preview_server, url.replace("index.html", "nope.js")).status_code == 404

    # The same tree again: the cache answers, with a fresh link to the same build.
    again = call(preview_server, lead, "POST", f"/api/rooms/{room['id']}/preview").json()
    assert again["cached"] is True and again["hash"] == body["hash"]

    # The token is in the path, and never in the log.
    token = url.split("/preview/")[1].split("/")[0]
    log = preview_server.log_path.read_text()
    assert token not in log and "/preview/[token]/index.html" in log


@pytest.mark.timeout(120)
def test_css_imported_from_typescript_is_served_and_linked(preview_server: Server) -> None:
    lead = bootstrap_lead(preview_server)
    room = preview_room(preview_server, lead, files=STYLED)
    built = call(preview_server, lead, "POST", f"/api/rooms/{room['id']}/preview").json()
    assert built["status"] == "ok", built
    page = get(preview_server, built["url"])
    # Linked at the end of the head, after the page's own stylesheet.
    linked = f'href="style.css" />\n<link rel="stylesheet" href="{BUNDLE_CSS}"></head>'
    assert linked in page.text, page.text
    css = get(preview_server, built["url"].replace("index.html", BUNDLE_CSS))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.headers["content-security-policy"] == CSP
    assert "#greeting" in css.text and "rgb(0, 128, 0)" in css.text, css.text
    # Without an imported stylesheet, nothing is linked (the page of the first test).
    plain = preview_room(preview_server, lead)
    other = call(preview_server, lead, "POST", f"/api/rooms/{plain['id']}/preview").json()
    assert BUNDLE_CSS not in get(preview_server, other["url"]).text


@pytest.mark.timeout(120)
async def test_an_edit_rebuilds_and_a_syntax_error_is_a_build_error(
    node: NodeClients, preview_server: Server
) -> None:
    lead = bootstrap_lead(preview_server)
    room = preview_room(preview_server, lead)
    first = call(preview_server, lead, "POST", f"/api/rooms/{room['id']}/preview").json()
    await node.connect("lead", preview_server.ws_url, room["id"], "code", lead.token)
    broken = "export function Greeting() {\n  return <h1>unclosed</h1\n}\n"
    await node.call("setFiles", client="lead", files={"src/Greeting.tsx": broken})
    # The server reads the hub's document: wait until the edit is there.
    for _ in range(50):
        failed = call(preview_server, lead, "POST", f"/api/rooms/{room['id']}/preview").json()
        if failed["hash"] != first["hash"]:
            break
    assert failed["status"] == "build_error" and failed["url"] is None, failed
    assert "src/Greeting.tsx" in failed["error"], failed["error"]
    fixed = PAGE["src/Greeting.tsx"].replace("v1", "v2")
    await node.call("setFiles", client="lead", files={"src/Greeting.tsx": fixed})
    for _ in range(50):
        ok = call(preview_server, lead, "POST", f"/api/rooms/{room['id']}/preview").json()
        if ok["status"] == "ok":
            break
    bundle = get(preview_server, ok["url"].replace("index.html", BUNDLE))
    assert "Hello, preview v2" in bundle.text
    # The old link still shows the build it named (a link is to one build).
    old = get(preview_server, first["url"].replace("index.html", BUNDLE))
    assert old.status_code == 200 and "Hello, preview v1" in old.text


@pytest.mark.timeout(120)
def test_who_may_build_and_open_a_preview(preview_server: Server) -> None:
    lead = bootstrap_lead(preview_server)
    room = preview_room(preview_server, lead)
    other_room = preview_room(preview_server, lead)
    stranger = create_user(preview_server, lead, name="Stranger")
    path = f"/api/rooms/{room['id']}/preview"
    assert httpx.post(f"{preview_server.url}{path}", timeout=30).status_code == 401
    assert call(preview_server, stranger, "POST", path).status_code == 404

    cand = join(preview_server, room)
    mine = call(preview_server, cand, "POST", path)
    assert mine.status_code == 200 and mine.json()["status"] == "ok", mine.text
    cand_url = mine.json()["url"]
    lead_url = call(preview_server, lead, "POST", path).json()["url"]
    assert get(preview_server, cand_url).status_code == 200

    # Another room's link does not open this room's preview, nor a forged or cut one.
    other = call(preview_server, lead, "POST", f"/api/rooms/{other_room['id']}/preview").json()
    other_token = other["url"].split("/preview/")[1].split("/")[0]
    assert get(preview_server, f"{path}/{other_token}/index.html").status_code == 404
    token = cand_url.split("/preview/")[1].split("/")[0]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert get(preview_server, f"{path}/{forged}/index.html").status_code == 404
    longer = token.replace(".c.", ".i.")
    assert get(preview_server, f"{path}/{longer}/index.html").status_code == 404
    assert get(preview_server, f"{path}/x/index.html").status_code == 404

    # The other room's candidate cannot build this room's preview.
    other_cand = join(preview_server, other_room)
    assert call(preview_server, other_cand, "POST", path).status_code == 404

    # Runs off: no builds, for anyone.
    patch = call(preview_server, lead, "PATCH", f"/api/rooms/{room['id']}",
                 json={"runs_enabled": False})
    assert patch.status_code == 200, patch.text
    assert call(preview_server, lead, "POST", path).status_code == 403
    call(preview_server, lead, "PATCH", f"/api/rooms/{room['id']}", json={"runs_enabled": True})

    # The room ends: the candidate's link stops working, the interviewer's does not.
    ended = call(preview_server, lead, "POST", f"/api/rooms/{room['id']}/end")
    assert ended.status_code in (200, 204), ended.text
    assert get(preview_server, cand_url).status_code == 404
    assert call(preview_server, cand, "POST", path).status_code in (401, 403, 409)
    assert get(preview_server, lead_url).status_code == 200


def test_a_project_without_index_html_has_no_preview(preview_server: Server) -> None:
    lead = bootstrap_lead(preview_server)
    room = preview_room(preview_server, lead, files={"src/main.tsx": "console.log(1)\n"})
    answer = call(preview_server, lead, "POST", f"/api/rooms/{room['id']}/preview")
    assert answer.status_code == 422 and "index.html" in answer.json()["detail"]
