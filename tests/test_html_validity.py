"""Every public page type, as served, passes the Nu HTML Checker (vnu.jar) without errors.

The pages come from tests/public_pages.py and the live gunicorn; vnu.jar (npm package
vnu-jar, installed by `make test`) checks them all in one Java start.
"""

import json
import shutil
import subprocess
from urllib.parse import urlsplit

from tests.conftest import require
from tests.live import VNU_JAR

VNU_OPTIONS = ["--errors-only", "--format", "json"]


def test_every_public_page_is_valid_html(live_site, tmp_path):
    java = shutil.which("java")
    require(java, "Java for vnu.jar (apt-get install default-jre-headless)")
    require(VNU_JAR.is_file(), f"vnu.jar at {VNU_JAR} (npm ci, which `make test` runs)")
    files = {}
    for page in live_site.pages:
        response = live_site.get(page.path)
        assert response.status == page.status, page
        assert response.headers.get_content_type() == "text/html"
        path = tmp_path / f"{page.kind}.html"
        path.write_bytes(response.body)
        files[str(path)] = page

    result = subprocess.run(
        # The client compiler alone starts faster for one short run; it needs a deeper stack.
        [java, "-Xss16m", "-XX:TieredStopAtLevel=1", "-jar", str(VNU_JAR), *VNU_OPTIONS, *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr)["messages"]
    problems = [
        f"{files.get(urlsplit(m.get('url', '')).path, m.get('url'))}: line {m.get('lastLine')}: "
        f"{m['message']} — {m.get('extract', '').strip()}"
        for m in messages
    ]
    assert problems == [], "\n".join(problems)
    assert result.returncode == 0, result.stderr
