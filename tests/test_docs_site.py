"""The docs site in a real browser: build it, serve it on 127.0.0.1, open every page in headless Chromium.

What a reader would notice, checked on every page: it loads with no console error while the browser is
offline (every host but 127.0.0.1 is unresolvable, so a CDN script would fail loudly), every internal link
resolves (the page and its #fragment; a notebook's `X.ipynb#frag` link must have become `X.html#frag`),
every image loads, every page shows at least one figure, and each module page lists every name of the
module's `__all__`, with a `show_doc` entry for each function and class defined there. Without a browser:
every GitHub source link points at the line that defines its entry (never `#LNone`).

The site is built with `dcdd_nb.docs.build_site` into a temporary folder, as `python -m dcdd_nb.docs site`
builds it: executed copies the notebook tests saved under artifacts/executed/ are reused when fresh (so in
`./dev.sh test`, which runs this file last, nothing is executed again) and every other notebook is executed
(minutes on a laptop CPU when no copy is fresh). `DCDD_DOCS_EXECUTE="index 00_data"` executes only those
notebooks, for a quick look: the other pages then show their committed outputs, and the figure check only
asks that a page without a figure says why. `DCDD_EXECUTED` names another folder of executed copies.
Screenshots of the home page and of the data page, and the timings, go to artifacts/docs-site/
(`DCDD_ARTIFACTS` to change). The browser tests are skipped, with the reason in pytest's summary, only when
Chromium, its driver or selenium is missing outside CI; with CI set a missing browser fails the test.
"""
import functools, http.server, inspect, importlib, os, re, shutil, sys, threading, time, urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urlparse
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("DCDD_ARTIFACTS", ROOT / "artifacts" / "docs-site"))
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
COMPONENT_PAGE = "data.html"   # the component page whose screenshot is kept
EXECUTE = os.environ.get("DCDD_DOCS_EXECUTE", "all")
NO_OUTPUTS = "Outputs missing"   # the note a page built without running its notebook starts with
_APT = ("sudo apt-get install -y chromium chromium-driver", "Debian; on Ubuntu chromium-browser has both")
INSTALL = {"Chromium": _APT, "chromedriver": _APT, "selenium": (".venv/bin/pip install -e '.[dev]'", "or ./dev.sh setup")}


def _need(what, looked:str=""):
    "Skip (outside CI) or fail (in CI) when a tool the test needs is missing, saying how to install it."
    cmd, note = INSTALL[what]
    msg = (f"docs site not opened in a browser: {what} is missing{looked}; install it with `{cmd}` ({note}; "
           ".ci/run installs what is missing)")
    if os.environ.get("CI"): pytest.fail(msg)
    pytest.skip(msg)


def _browser_paths():
    browser = next(filter(None, map(shutil.which, BROWSERS)), None)
    driver = shutil.which("chromedriver") or (Path(os.environ.get("CHROMEWEBDRIVER", "/nonexistent")) / "chromedriver")
    if not browser: _need("Chromium", f" (none of {', '.join(BROWSERS)} on PATH)")
    if not Path(driver).exists(): _need("chromedriver", " (not on PATH, nor in $CHROMEWEBDRIVER)")
    return browser, str(driver)


def _log(msg):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "timings.txt", "a") as f: f.write(msg + "\n")
    sys.__stdout__.write(f"\n[docs-site] {msg}\n"); sys.__stdout__.flush()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "The built site: its folder and the module each page documents."
    docs = pytest.importorskip("dcdd_nb.docs")
    out = tmp_path_factory.mktemp("site")
    spec = EXECUTE
    execute = True if spec == "all" else spec.split()
    (ARTIFACTS / "timings.txt").unlink(missing_ok=True)
    nbs = docs.site_notebooks(ROOT / "nbs")   # before the build: other notebooks may appear meanwhile
    t = time.time()
    pages = docs.build_site(ROOT, out, execute=execute, executed=os.environ.get("DCDD_EXECUTED"),
                            only=[nb.name for nb in nbs], log=lambda m: _log(m.strip()))
    _log(f"build: {len(pages)} pages in {time.time() - t:.1f} s (execute={spec!r}) -> {out}")
    modules = {docs.page_name(nb): f"dcdd_nb.{docs.nb_module(nb)}" for nb in nbs if docs.nb_module(nb)}
    return out, modules, {docs.page_name(nb) for nb in nbs}


def test_every_notebook_has_a_page(site):
    out, _, want = site
    assert want == {p.name for p in out.glob("*.html")}
    assert "index.html" in want and COMPONENT_PAGE in want


@pytest.fixture(scope="module")
def server(site):
    "The site over HTTP on 127.0.0.1 (a free port), for as long as the module's tests run."
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site[0])))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown(); httpd.server_close()


_SETTLED = """return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)
  && (!window.MathJax || (MathJax.isReady && MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0));"""
_FACTS = """return {
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  images: Array.from(document.images).map(i => [i.currentSrc.slice(0, 80), i.naturalWidth]),
  text: document.body.innerText};"""


def _mathjax_font_probe(msg:str) -> bool:
    "MathJax 2's HTML-CSS output probes font loading with a blank @font-face (src: about:blank); Chromium logs it."
    return "font at 'about:blank'" in msg or msg.startswith("about:blank - Failed to load resource")


@pytest.fixture(scope="module")
def visits(site, server):
    "Every page opened in headless Chromium: its console errors, ids, links, images and text."
    browser, driver_path = _browser_paths()
    try: from selenium import webdriver
    except ImportError: _need("selenium")
    from selenium.webdriver.chrome.service import Service
    os.environ.setdefault("SE_OFFLINE", "true")   # Selenium Manager must not try to download a driver
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):   # offline but for our server
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    t = time.time()
    drv = webdriver.Chrome(service=Service(driver_path), options=opts)
    res = {}
    try:
        for page in sorted(p.name for p in site[0].glob("*.html")):
            drv.get(server + page)
            end = time.time() + 20
            while not drv.execute_script(_SETTLED) and time.time() < end: time.sleep(0.1)
            time.sleep(0.2)   # late console messages (fonts, MathJax extensions)
            facts = drv.execute_script(_FACTS)
            facts["errors"] = [m for l in drv.get_log("browser") if l["level"] == "SEVERE"
                               and not _mathjax_font_probe(m := l["message"])]
            if page in ("index.html", COMPONENT_PAGE):
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                h = drv.execute_script("return document.body.scrollHeight")
                drv.set_window_size(1400, min(max(h, 1000), 6000))
                drv.save_screenshot(str(ARTIFACTS / page.replace(".html", ".png")))
                drv.set_window_size(1400, 1000)
            res[page] = facts
    finally: drv.quit()
    _log(f"browser: {len(res)} pages in {time.time() - t:.1f} s; screenshots in {ARTIFACTS}")
    return res


_SOURCE = re.compile(r'href="https://github\.com/[^"]+/blob/[^/"]+/([^"#]+\.py)(#L\w+)?"')
_DEF = re.compile(r"\s*(async\s+def|def|class)\s")


def test_source_links_point_at_definitions(site):
    "Each `show_doc` entry's source link ends in `#L<line>` and that line of the file defines something."
    out, modules, _ = site
    bad, n = [], 0
    for page in sorted(modules):
        for py, frag in _SOURCE.findall((out / page).read_text()):
            n += 1
            lines = (ROOT / py).read_text().splitlines()
            if not frag or not frag[2:].isdigit(): bad.append(f"{page}: {py}{frag}"); continue
            ln = int(frag[2:])
            if not (0 < ln <= len(lines) and _DEF.match(lines[ln - 1])): bad.append(f"{page}: {py}{frag} is no def/class")
    assert n, "no source links at all"
    assert not bad, f"{len(bad)} of {n} source links point at no definition:\n" + "\n".join(bad[:20])


def test_pages_load_without_console_errors(visits):
    bad = {p: v["errors"] for p, v in visits.items() if v["errors"]}
    assert not bad, f"console errors: {bad}"


def test_images_load(visits):
    bad = {p: [src for src, w in v["images"] if not w] for p, v in visits.items()}
    assert not any(bad.values()), f"images that did not load: {bad}"
    assert any(v["images"] for v in visits.values()), "the site shows no image at all (the method figure?)"


def test_every_page_has_a_figure(visits):
    "Each page shows a figure that loads (a plot of its executed notebook or a committed image)."
    bare = sorted(p for p, v in visits.items() if not any(w for _, w in v["images"]))
    unexplained = [p for p in bare if NO_OUTPUTS not in visits[p]["text"]]
    assert not unexplained, (f"pages that show no figure: {unexplained}; each needs one (a small plot that teaches, "
                             "or a committed image under nbs/images/)")
    assert EXECUTE != "all" or not bare, f"pages whose notebooks were not run (see the build log): {bare}"
    if bare: _log(f"figures: {len(bare)} pages not executed (DCDD_DOCS_EXECUTE={EXECUTE!r}): {' '.join(bare)}")


def test_internal_links_resolve(visits, server):
    status, bad = {}, []
    for page, v in visits.items():
        for href in v["links"]:
            url, frag = urldefrag(href)
            if not url.startswith(server): continue          # the GitHub source links and other hosts
            target = url[len(server):] or "index.html"
            if target.endswith(".ipynb"): bad.append(f"{page}: {href} -> a notebook link, not a page"); continue
            if target not in visits:
                if target not in status:
                    try: status[target] = urllib.request.urlopen(url, timeout=10).status
                    except Exception as e: status[target] = repr(e)
                if status[target] != 200: bad.append(f"{page}: {href} -> {status[target]}"); continue
            elif frag and frag not in visits[target]["ids"]: bad.append(f"{page}: {href} -> no id {frag!r}")
    assert not bad, "broken internal links:\n" + "\n".join(bad)
    assert all(any(urldefrag(h)[0].endswith(p) for v in visits.values() for h in v["links"]) for p in visits), \
        "every page is reachable from the navigation"


def test_api_entries_present(site, visits):
    _, modules, _ = site
    assert modules, "no module pages"
    missing = []
    for page, modname in modules.items():
        mod, v = importlib.import_module(modname), visits[page]
        ids = {i.lower() for i in v["ids"]}
        for name in mod.__all__:
            obj = getattr(mod, name)
            if name not in v["text"]: missing.append(f"{page}: {name} not on the page")
            elif (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == modname and name.lower() not in ids:
                missing.append(f"{page}: no show_doc entry (id) for {name}")
    assert not missing, "API entries missing:\n" + "\n".join(missing)


def test_screenshots_saved(visits):
    for page in ("index.png", COMPONENT_PAGE.replace(".html", ".png")):
        assert (ARTIFACTS / page).stat().st_size > 10_000, f"screenshot {ARTIFACTS / page}"
