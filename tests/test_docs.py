"""The docs site (`make docs`, tools/make_docs.py): its navigation is nbs/sidebar.yml's reading order (fast), and the built
site, made from the notebooks' committed outputs, renders in headless Chromium: every page has the notebook's title and
no traceback, every page of the paper's section shows at least one figure that loads (HTTP 200, natural width > 0).
The browser tests are marked `browser`: `make test` deselects them and `make docs-check` (run by .ci/run after
`make test`) runs them, installing Debian's chromium and chromium-driver when missing. Elsewhere, without a browser or
the docs requirements, they skip with the reason; with CORESET_NB_REQUIRE_BROWSER set (`make docs-check`) they fail.
Screenshots are kept in _site_screenshots/ (gitignored) to look at."""
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import load_tool

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CORESET_NB_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CORESET_NB_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
SCREENSHOTS = REPO / "_site_screenshots"


make_docs = load_tool("make_docs")


def test_nav_is_the_sidebar_order():
    sidebar = yaml.safe_load((REPO / "nbs" / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    nav = make_docs.nav()
    assert make_docs.flatten(nav) == make_docs.flatten(sidebar)  # the same notebooks, in the same order
    sections = lambda entries: [next(iter(e)) for e in entries if isinstance(next(iter(e.values())), list)]
    assert sections(nav) == [e["section"] for e in sidebar if isinstance(e, dict)]  # under the same sections
    assert nav[0] == {"The method in one page": "index.ipynb"}
    assert make_docs.mkdocs_config()["nav"] == nav


def test_nbdev_keeps_the_hand_written_sidebar_and_docs_requirements_are_an_extra():
    "nbdev_docs (Quarto) regenerates sidebar.yml unless custom_sidebar is set; `pip install .[docs]` gets mkdocs."
    from nbdev.config import get_config
    cfg = get_config(path=REPO)
    assert cfg.custom_sidebar and cfg.nbs_path.name == "nbs"
    assert "mkdocs" in make_docs.settings()["docs_requirements"]
    assert '"docs": cfg["docs_requirements"].split()' in (REPO / "setup.py").read_text()


def chromium(*args, profile):
    return subprocess.run([str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2000", *args],
                          capture_output=True, text=True, timeout=120, check=True).stdout


def skip_or_fail(reason):
    "A missing browser or docs requirement: a skip, or a failure where the check must run (`make docs-check`)."
    if os.environ.get("CORESET_NB_REQUIRE_BROWSER"): pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def served_site(tmp_path_factory):
    "The site built once into tmp and served on a free localhost port: its base URL."
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists(): skip_or_fail(f"needs {path}: apt-get install chromium chromium-driver (`make docs-check` does)")
    for module in ("mkdocs", "mkdocs_jupyter", "selenium"):
        if importlib.util.find_spec(module) is None:
            skip_or_fail(f"needs {module}: `make docs` installs settings.ini's docs_requirements (or pip install -e '.[docs]')")
    tmp = tmp_path_factory.mktemp("docs")
    site = make_docs.build(stage_dir=tmp / "stage", site_dir=tmp / "site")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(site)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(50):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url, tmp
    server.terminate()
    server.wait(10)


def render(url, page, tmp, height=2000):
    "The page's DOM after Chromium ran it, and a screenshot in _site_screenshots/<page>.png."
    name = page.strip("/") or "index"
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = tmp / f"{name}.png"
    chromium(f"--screenshot={shot}", f"--window-size=1280,{height}", url + page, profile=tmp / f"profile-{name}-shot")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shutil.copy(shot, SCREENSHOTS / f"{name}.png")
    return chromium("--dump-dom", url + page, profile=tmp / f"profile-{name}-dom")


@pytest.mark.browser
def test_the_site_renders_in_chromium(served_site):
    url, tmp = served_site
    dom = render(url, "", tmp, height=3000)  # tall enough for the figure
    assert re.search(r"<title>\s*coreset_nb\s*</title>", dom) and "The method in one page" in dom
    nav = [m for m in re.findall(r'<a href="([^"#]*)" class="md-nav__link', dom)]
    order = [n for n in make_docs.flatten(make_docs.nav())]
    stems = [Path(n).stem for n in order[1:]]
    positions = [next(i for i, href in enumerate(nav) if href.rstrip("/").endswith(s)) for s in stems]
    assert positions == sorted(positions)  # the nav lists the notebooks in the sidebar's order
    assert stems.index("00_data") < stems.index("00a_cache") < stems.index("00b_medmnist")  # the method, running it, beyond
    assert dom.count("jp-CodeCell") >= 3
    images = re.findall(r'<img [^>]*src="(index_files/[^"]+\.png)"', dom)
    assert images, "no figure of index.ipynb"
    with urllib.request.urlopen(url + images[0]) as response:
        assert response.status == 200 and response.read(8) == b"\x89PNG\r\n\x1a\n"

    dom = render(url, "04_sample/", tmp)  # a screenshot of one page of the method, to look at
    assert re.search(r"<title>\s*Selectors - coreset_nb\s*</title>", dom) and "<h1" in dom
    assert dom.count("jp-CodeCell") >= 10 and "register_selector" in dom
    assert "#| export" not in dom and "#| hide" not in dom  # nbdev's directives are not shown


@pytest.fixture(scope="module")
def browser(served_site):
    "Headless Chromium driven through chromedriver (Selenium): pages are loaded and their images' sizes read."
    from selenium import webdriver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS: options.add_argument(flag)
    options.add_argument(f"--user-data-dir={served_site[1] / 'profile-selenium'}")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    yield driver
    driver.quit()


def section(name: str) -> list:
    "The notebooks of one section of nbs/sidebar.yml."
    return next(e["contents"] for e in make_docs.sidebar_contents() if isinstance(e, dict) and e["section"] == name)


FIGURES_JS = "return Array.from(document.querySelectorAll('article .jp-OutputArea-output img')).map(i => [i.src, i.complete, i.naturalWidth])"


@pytest.mark.browser
@pytest.mark.parametrize("notebook", make_docs.flatten(make_docs.sidebar_contents())[1:])
def test_every_page_has_its_title_no_traceback_and_the_papers_pages_a_figure(browser, served_site, notebook):
    url, _ = served_site
    browser.get(f"{url}{Path(notebook).stem}/")
    assert browser.title == f"{make_docs.notebook_title(notebook)} - coreset_nb"
    # the rendered text, read by the page's own innerText: Selenium's `.text` walks the DOM from Python, 3-6 s a page
    assert "Traceback" not in browser.execute_script("return document.querySelector('article').innerText")
    figures = browser.execute_script(FIGURES_JS)
    for src, complete, width in figures:
        with urllib.request.urlopen(src) as response: assert response.status == 200, src
        assert complete and width > 0, f"{notebook}: the figure {src} did not load"
    if notebook in section("The paper's method"):
        assert figures, f"{notebook}: no figure on its page"
