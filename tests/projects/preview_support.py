"""A React + TypeScript page for the preview tests: it renders a greeting, then tries the
app's API, its cookies and its storage, and writes what happened into the page."""

from __future__ import annotations

from typing import Any

from tests.projects.test_project_tests_runs import call
from tests.support.api import Actor, create_room
from tests.support.server import Server

#: The path the page tries to fetch (an API path of the app's origin, found in no log).
PROBE = "/api/rooms/preview-probe-7f3a"
GREETING = 'export function Greeting() {\n  return <h1 id="greeting">Hello, preview v1</h1>;\n}\n'

PAGE = {
    "index.html": (
        "<!doctype html>\n<html>\n<head>\n<meta charset=\"utf-8\" />\n"
        "<link rel=\"stylesheet\" href=\"style.css\" />\n</head>\n<body>\n"
        "<div id=\"root\"></div>\n<p id=\"net\">pending</p>\n<p id=\"storage\">pending</p>\n"
        "<script type=\"module\" src=\"src/main.tsx\"></script>\n</body>\n</html>\n"
    ),
    "style.css": "h1 { color: rebeccapurple; font-family: sans-serif; }\n",
    "src/Greeting.tsx": GREETING,
    "src/main.tsx": (
        "import { createRoot } from \"react-dom/client\";\n"
        "import { Greeting } from \"./Greeting\";\n\n"
        "createRoot(document.getElementById(\"root\")!).render(<Greeting />);\n\n"
        "const net = document.getElementById(\"net\")!;\n"
        f"fetch(\"{PROBE}\", {{ credentials: \"include\" }}).then(\n"
        "  (r) => { net.textContent = `fetch: allowed ${r.status}`; },\n"
        "  () => { net.textContent = \"fetch: blocked\"; },\n"
        ");\n"
        "const storage = document.getElementById(\"storage\")!;\n"
        "try {\n"
        "  storage.textContent = `storage: allowed ${document.cookie}${localStorage.length}`;\n"
        "} catch {\n"
        "  storage.textContent = \"storage: blocked\";\n"
        "}\n"
    ),
}

#: The page with a component that imports its own CSS, as a Vite project's does (esbuild
#: bundles it into ``bundle.css``); the page's own ``style.css`` still colours the text.
STYLED = {
    **PAGE,
    "src/Greeting.tsx": 'import "./greeting.css";\n\n' + GREETING,
    "src/greeting.css": "#greeting {\n  border-bottom: 5px solid rgb(0, 128, 0);\n}\n",
}


def preview_room(
    server: Server, lead: Actor, files: dict[str, str] | None = None
) -> dict[str, Any]:
    """A TypeScript room holding the page (presented as a project question's starter tree)."""
    question = {
        "title": "Preview page", "entry": "src/main.tsx", "files": files or PAGE,
        "test_command": "true",
    }
    created = call(server, lead, "POST", "/api/questions", json=question)
    assert created.status_code == 201, created.text
    room = create_room(server, lead, language="typescript")
    rq = call(server, lead, "POST", f"/api/rooms/{room['id']}/questions",
              json={"question_id": created.json()["id"]}).json()
    presented = call(server, lead, "POST", f"/api/rooms/{room['id']}/questions/{rq['id']}/present")
    assert presented.status_code == 200, presented.text
    return room
