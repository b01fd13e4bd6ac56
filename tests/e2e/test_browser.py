"""Open the reports of a small fixture run in headless Chromium, as a reader would.

For the index and every report it links, a probe copy of the page (same directory, so relative
links resolve the same way) gets a script that, once the page has loaded, writes what the browser
saw into the DOM: every link's resolved URL, every image's ``naturalWidth`` and ``alt``, and the
visible text. ``chromium --headless --dump-dom`` prints that DOM; the test parses it.

Skipped when no Chromium is on PATH, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from paths import FIXTURES_DIR

from evaluation.pipeline import ReportJob, run_pipeline

pytestmark = pytest.mark.browser

FIXTURES = FIXTURES_DIR / "notebooks"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ERROR_WORDS = ("Traceback", "Error", "NameError")

PROBE = """
<script>
window.addEventListener("load", function () {
  var result = {
    images: Array.from(document.images).map(function (img) {
      return {src: img.currentSrc || img.src, alt: img.getAttribute("alt"),
              complete: img.complete, width: img.naturalWidth};
    }),
    links: Array.from(document.querySelectorAll("a[href]")).map(function (a) { return a.href; }),
    text: document.body.innerText
  };
  var pre = document.createElement("pre");
  pre.id = "probe-result";
  pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
});
</script>
"""


@pytest.fixture(scope="module")
def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    message = f"headless Chromium not found on PATH (looked for {', '.join(BROWSERS)})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI=true, so the browser checks must run: install chromium")
    pytest.skip(f"{message}; install chromium to run the browser checks")


@pytest.fixture(scope="module")
def index_page(tmp_path_factory: pytest.TempPathFactory, browser: str) -> Path:
    reports = tmp_path_factory.mktemp("browser") / "reports"
    # one notebook that writes results.json, a table and a figure (keeps the test quick)
    jobs = [ReportJob("wr", FIXTURES / "writes_results.ipynb", {"n": 16, "seed": 2})]
    summary = run_pipeline(jobs, reports, synthetic=True, progress=False)
    assert summary.exit_code == 0, summary.describe()
    return reports / "index.html"


def _probe(browser: str, pages: list[Path], profile_root: Path) -> dict[Path, dict]:
    """Load every page in headless Chromium (in parallel) and return what the probe saw."""
    procs = {}
    for i, page in enumerate(pages):
        probe = page.with_name(f".probe-{page.name}")
        source = page.read_text(encoding="utf-8")
        probe.write_text(source.replace("</body>", PROBE + "</body>", 1), encoding="utf-8")
        cmd = [
            browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
            f"--user-data-dir={profile_root / f'profile-{i}'}",
            "--virtual-time-budget=10000", "--dump-dom", probe.as_uri(),
        ]  # fmt: skip
        procs[page] = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    seen = {}
    for page, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        match = re.search(r'<pre id="probe-result">(.*?)</pre>', out, re.S)
        assert match, f"probe produced nothing for {page} (exit {proc.returncode}): {err[-2000:]}"
        result = json.loads(html.unescape(match.group(1)))
        # in-page anchors point at the probe copy: count them as links to the page itself
        probe_uri = page.with_name(f".probe-{page.name}").as_uri()
        result["links"] = [u.replace(probe_uri, page.as_uri(), 1) for u in result["links"]]
        seen[page] = result
    return seen


def _local_path(url: str) -> Path:
    parsed = urlparse(url)
    assert parsed.scheme == "file", f"link leaves the reports folder: {url}"
    return Path(unquote(parsed.path))


def test_index_and_reports_in_a_real_browser(
    browser: str, index_page: Path, tmp_path: Path
) -> None:
    index = _probe(browser, [index_page], tmp_path)[index_page]
    reports = index_page.parent

    # first line, every link resolves to an existing file, every image loads and has alt text
    assert (
        index["text"]
        .strip()
        .splitlines()[0]
        .startswith("These reports are built on SYNTHETIC data")
    )
    targets = {_local_path(url) for url in index["links"]} - {index_page}
    missing = [str(t) for t in targets if not t.is_file()]
    assert not missing, f"broken links in index.html: {missing}"
    for expected in (
        "wr/wr.html", "wr/wr.ipynb", "wr/results.json", "wr/tables/draws.csv",
        "wr/figures/draws.png", "manifest.json",
    ):  # fmt: skip
        assert reports / expected in targets, expected
    assert [Path(urlparse(i["src"]).path).name for i in index["images"]] == ["draws.png"]
    for page_name, seen in [("index.html", index)]:
        _check_page(page_name, seen)

    report_pages = sorted(t for t in targets if t.suffix == ".html")
    assert report_pages == [reports / "wr" / "wr.html"]
    for page, seen in _probe(browser, report_pages, tmp_path).items():
        _check_page(page.name, seen)
        assert len(seen["images"]) == 1
        for url in seen["links"]:  # in-page anchors and any file links
            assert _local_path(url).is_file(), url


def _check_page(name: str, seen: dict) -> None:
    for img in seen["images"]:
        assert img["complete"] and img["width"] > 0, f"{name}: image did not load: {img['src']}"
        assert img["alt"], f"{name}: image without alt text: {img['src'][:80]}"
    for word in ERROR_WORDS:
        assert word not in seen["text"], f"{name} shows {word!r}"
