import time
from playwright.sync_api import Page
from tests.e2e.conftest import LiveServer

def test_dbg(page: Page, live_server: LiveServer) -> None:
    log = []
    page.on("response", lambda r: log.append(f"{r.request.method} {r.url} {r.status} {r.headers.get('set-cookie','')[:60]!r}"))
    bad = 0
    for i in range(40):
        log.clear()
        page.context.clear_cookies()
        login = live_server.logins[["commissioner", "admin", "sho.kotwali"][i % 3]]
        page.goto("/login")
        page.locator("#username").fill(login.username)
        page.locator("#password").fill(login.password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        page.wait_for_timeout(300)
        if "login" in page.url:
            bad += 1
            print(i, login.username, page.url, *log, sep="\n  ")
    print("bad", bad)
