"""Accessibility of every public page type, in Chromium: axe-core, and the keyboard.

axe-core (node_modules, installed by `make test` with npm) is injected into each page of
tests/public_pages.py in light and dark colour schemes; nothing "serious" or "critical"
may be found. The keyboard test tabs through each page as a keyboard user would.
"""

import pytest

from tests.conftest import require
from tests.live import AXE_JS, log_in, new_context

pytestmark = pytest.mark.browser

BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe_path():
    require(AXE_JS.is_file(), f"axe-core at {AXE_JS} (npm ci, which `make test` runs)")
    return AXE_JS


SCHEMES = ("light", "dark")


def axe_problems(page, axe_path, label):
    """Run axe-core on the page in each colour scheme; describe what is serious or critical."""
    page.add_script_tag(path=axe_path)
    problems = []
    for scheme in SCHEMES:
        # The same as a context's color_scheme, without loading the page again.
        page.emulate_media(color_scheme=scheme)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        for violation in results["violations"]:
            if violation["impact"] in BLOCKING_IMPACTS:
                where = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
                problems.append(
                    f"{label} [{scheme}]: {violation['impact']} {violation['id']}: "
                    f"{violation['help']} — {where}"
                )
    return problems


def test_axe_finds_nothing_serious_in_light_or_dark(browser, live_site, axe_path):
    # bypass_csp: injecting axe must work whatever Content-Security-Policy the site sends.
    context = new_context(browser, live_site, bypass_csp=True)
    page = context.new_page()
    problems = []
    for public in live_site.pages:
        assert page.goto(public.path).status == public.status, public
        problems += axe_problems(page, axe_path, f"{public.kind} {public.path}")

    # The preview an editor sees of a draft, banner and all.
    draft = live_site.manifest["draft"]
    if draft:
        log_in(page, live_site)
        assert page.goto(draft["path"]).status == 200
        assert page.locator(".preview-banner").count() == 1
        problems += axe_problems(page, axe_path, f"preview {draft['path']}")
    context.close()
    assert problems == [], "\n".join(problems)


# Numbers every link, and records each focus stop (with its focus style) as it happens.
INSTRUMENT_JS = """() => {
    const links = [...document.querySelectorAll('a[href]')];
    links.forEach((a, i) => a.setAttribute('data-link-index', i));
    window.focusStops = [];
    document.addEventListener('focusin', event => {
        const el = event.target;
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        focusStops.push({
            link: el.dataset.linkIndex === undefined ? null : +el.dataset.linkIndex,
            tag: el.tagName,
            className: typeof el.className === 'string' ? el.className : '',
            text: (el.textContent || '').trim().slice(0, 50),
            outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
            inView: box.width > 0 && box.height > 0 && box.top >= 0 && box.left >= 0
                && box.bottom <= innerHeight && box.right <= innerWidth,
        });
    }, true);
    const shown = el => el.getClientRects().length > 0
        && getComputedStyle(el).visibility !== 'hidden';
    const focusable = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
        + '[tabindex]';
    return {
        stops: [...document.querySelectorAll(focusable)].filter(el => el.tabIndex >= 0).length,
        links: links.map(a => ({
            index: +a.dataset.linkIndex,
            href: a.getAttribute('href'),
            shown: shown(a),
            skipped: a.tabIndex < 0,
            hidden: a.getAttribute('aria-hidden') === 'true',
            text: a.textContent.trim().slice(0, 50),
        })),
    };
}"""


# Page kinds drawn by the same template as another: their skip link is still checked, but
# tabbing through all of them again would only repeat the other's walk.
SAME_TEMPLATE_AS = {"home_page_2": "home", "story_list": "section", "tag": "section"}


def test_keyboard_reaches_every_link_and_shows_where_it_is(browser, live_site):
    context = new_context(browser, live_site)
    page = context.new_page()
    problems = []
    for public in live_site.pages:
        # The first Tab lands on a visible skip link, which moves the focus to <main>.
        page.goto(public.path)
        page.evaluate(INSTRUMENT_JS)
        page.keyboard.press("Tab")
        first = page.evaluate("() => focusStops[0] || null")
        if not (first and "skip-link" in first["className"] and first["inView"]):
            problems.append(f"{public.kind}: first Tab stop is {first}, not a visible skip link")
        page.keyboard.press("Enter")
        if page.evaluate("() => document.activeElement.tagName") != "MAIN":
            problems.append(f"{public.kind}: the skip link does not move the focus to <main>")
        if public.kind in SAME_TEMPLATE_AS:
            continue

        # Tab from the top to the end: every link is reached, each with a visible focus ring.
        page.goto(public.path)
        page_info = page.evaluate(INSTRUMENT_JS)
        for _ in range(page_info["stops"] + 2):
            page.keyboard.press("Tab")
        reached = set()
        for stop in page.evaluate("() => focusStops"):
            if stop["link"] in reached:
                break  # Round again.
            if stop["link"] is not None:
                reached.add(stop["link"])
            if not stop["outline"]:
                problems.append(f"{public.kind}: no visible focus on {stop}")

        links = page_info["links"]
        for link in links:
            if link["shown"] and not link["skipped"] and link["index"] not in reached:
                problems.append(f"{public.kind}: Tab never reaches {link}")
            if link["skipped"]:
                # A link taken out of the Tab order must be a hidden duplicate of one in it.
                twins = [o for o in links if o["href"] == link["href"] and o["index"] in reached]
                if not (link["hidden"] and twins):
                    problems.append(f"{public.kind}: {link} is out of the Tab order alone")
    context.close()
    assert problems == [], "\n".join(problems)
