"""Task-list fixtures: the 2020 list in every format, imports, row counts, browser logins."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD
from tests.tasklist_builders import build_docx, build_xlsx, sample_bytes, sample_rows
from workflow.core.service import Settings
from workflow.models import Base
from workflow.tasklist.importer import import_tasklist

FORMATS = ("txt", "docx", "xlsx")


@pytest.fixture(scope="session")
def tasklist_files() -> dict[str, tuple[bytes, str]]:
    """The real 2020 list as the text copy, a merged-cell Word table and a merged-cell sheet."""
    rows = sample_rows()
    return {"txt": (sample_bytes(), "wujin-2020.txt"),
            "docx": (build_docx(rows), "wujin-2020.docx"),
            "xlsx": (build_xlsx(rows), "wujin-2020.xlsx")}


def row_counts(session) -> dict[str, int]:
    """Rows in every table, to show that a refused import wrote nothing."""
    session.rollback()
    counts = {t.name: session.scalar(select(func.count()).select_from(t))
              for t in Base.metadata.sorted_tables}
    session.rollback()  # SQLite: no lock left for the CLI or a request
    return counts


class TaskLists:
    def __init__(self, world):
        self.world = world

    def run(self, data: bytes, filename: str, year: int = 2020, who: str = "office_staff", **kw):
        """Import through the service as a request would, and commit.

        Unknown names are created as new units unless the test says otherwise (the
        office's explicit choice ``create_unknown``; real imports choose per name).
        """
        kw.setdefault("create_unknown", True)
        session = self.world.session
        result = import_tasklist(session, data, filename, year, self.world.users[who],
                                 settings=Settings.from_config(self.world.app.config), **kw)
        if kw.get("dry_run"):
            session.rollback()
        else:
            session.commit()
        return result


@pytest.fixture
def tasklists(world) -> TaskLists:
    return TaskLists(world)


def browser_login(client, user) -> str:
    """Log in through the form; return a CSRF token for later posts."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"csrf_token": token, "username": user.username,
                                       "password": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    # the login starts a fresh session (and CSRF token): take the token of a signed-in page
    page = client.get("/account/password").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
