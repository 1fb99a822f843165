"""Journeys through the live site in Chromium, as an editor and as a reader would make them.

Everything happens over HTTP against the real gunicorn (tests/live.py); nothing here
touches the database directly.
"""

import re
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.live import log_in, new_context, screenshot_path

pytestmark = pytest.mark.browser

# What the editor types, and what readers must then see exactly.
HEADLINE = "Han River ferries return for the morning rush — 한강 출근길 페리"
DEK = "Commuters crowded the first boats as the city's water buses resumed service."
SECTION = "Nation"
TAGS = ["Harbour ferries", "한강"]
PARAGRAPH = "Ferries were packed on Monday, and commuters said the timetable works."
BOLD_WORD = "packed"
LINK_WORD = "timetable"
LINK_URL = "https://example.org/ferry-timetable"
SECOND_PARAGRAPH = "The operator plans more boats before winter."
AUTHORS = [("Osei", "Rachel Osei"), ("Kim Min", "김민지 (Kim Min-ji)")]
ALT = "A white ferry leaving a pier on a wide river at dawn"
CAPTION = "The first ferry of the day leaves Yeouido pier."
CREDIT = "Newsroom photo"
EXTERNAL_HEADLINE = "Wire: water buses win a second season"
EXTERNAL_URL = "https://example.com/wire/water-buses"


def jpeg(path):
    """A small JPEG made on the spot: a river, a pier and a boat."""
    image = Image.new("RGB", (1200, 750), (120, 170, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 450, 1200, 750), fill=(40, 90, 140))
    draw.rectangle((80, 380, 420, 470), fill=(90, 70, 50))
    draw.polygon([(600, 430), (900, 430), (860, 500), (640, 500)], fill=(245, 245, 245))
    image.save(path, "JPEG", quality=85)
    return path


def choose(page, row, term, option_text):
    """Pick `option_text` in the admin's autocomplete (select2) widget inside `row`."""
    page.locator(f"{row} .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(term)
    option = page.locator(".select2-results__option", has_text=option_text).first
    option.click()
    expect(page.locator(f"{row} .select2-selection__rendered")).to_have_text(
        re.compile(re.escape(option_text))
    )


def select_word(page, editor, word):
    """Double-click `word` in the editor, as people select a word.

    Measured again before each try: the form can still be settling (the checklist
    and the editor's menu update as one types), moving the word under the pointer.
    """
    for _ in range(5):
        page.mouse.dblclick(*word_centre(editor, word))
        if page.evaluate("() => getSelection().toString().trim()") == word:
            break
        page.wait_for_timeout(200)
    assert page.evaluate("() => getSelection().toString().trim()") == word
    # The editor reads the browser's selection asynchronously: wait until it has.
    page.wait_for_function(
        """([root, word]) => {
            const state = root.editor && root.editor.state;
            if (!state) return true;
            const {from, to} = state.selection;
            return state.doc.textBetween(from, to).trim() === word;
        }""",
        arg=[editor.element_handle(), word],
    )


def word_centre(editor, word):
    """Where `word` is on the screen, inside the editor."""
    box = editor.evaluate(
        """(root, word) => {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node; (node = walker.nextNode()); ) {
                const at = node.data.indexOf(word);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + word.length);
                const r = range.getBoundingClientRect();
                return {x: r.x + r.width / 2, y: r.y + r.height / 2};
            }
            return null;
        }""",
        word,
    )
    assert box, f"{word!r} is not in the editor"
    return box["x"], box["y"]


def add_inline_row(page, group):
    page.locator(f"#{group}-group .add-row a").click()


def card_for(page, path):
    """The story card whose headline links `path`."""
    headline_link = page.locator(f'.card__headline a[href="{path}"]')
    return page.locator("article.card").filter(has=headline_link)


def expect_card_shows_the_story(card):
    expect(card.locator(".card__headline")).to_have_text(HEADLINE)
    expect(card.locator(".card__dek")).to_have_text(DEK)
    expect(card.locator("img")).to_have_attribute("alt", ALT)
    expect(card.locator(".byline a")).to_have_text([name for _, name in AUTHORS])


def test_editor_writes_previews_and_publishes_a_story(browser, live_site, tmp_path):
    linked = live_site.manifest["story"]
    editor_context = new_context(browser, live_site)
    page = editor_context.new_page()
    log_in(page, live_site)

    # Write the story.
    page.goto("/admin/articles/story/add/")
    page.fill("#id_headline", HEADLINE)
    page.fill("#id_dek", DEK)
    choose(page, ".field-section", SECTION, SECTION)
    page.fill("#id_tags", ", ".join(TAGS))

    body = page.locator(".prose-editor .tiptap.ProseMirror")
    body.click()
    page.keyboard.type(PARAGRAPH)
    page.keyboard.press("Enter")
    page.keyboard.type(SECOND_PARAGRAPH)
    select_word(page, body, BOLD_WORD)
    page.click(".prose-menubar__button[data-name=bold]")
    select_word(page, body, LINK_WORD)
    link_button = page.locator(".prose-menubar__button[data-name=link]")
    expect(link_button).not_to_have_class(re.compile(r"\bdisabled\b"))
    link_button.click()
    dialog = page.locator("dialog.prose-editor-dialog[open]")
    dialog.locator("input[name=href]").fill(LINK_URL)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_have_count(0)
    expect(body.locator("strong")).to_have_text(BOLD_WORD)
    expect(body.locator("a")).to_have_attribute("href", LINK_URL)
    expect(body.locator("p")).to_have_text([PARAGRAPH, SECOND_PARAGRAPH])

    # Uploaded on the spot: it joins the photo library, with its credit and alt text.
    page.set_input_files("#id_new_photo", jpeg(tmp_path / "ferry.jpg"))
    page.fill("#id_photo_caption", CAPTION)
    page.fill("#id_new_photo_credit", CREDIT)
    page.fill("#id_new_photo_alt", ALT)

    for index, (term, name) in enumerate(AUTHORS):
        if index:
            add_inline_row(page, "story_authors")
        choose(page, f"#story_authors-{index}", term, name)

    choose(page, "#related_headlines-0", linked["headline"][:30], linked["headline"])
    add_inline_row(page, "related_headlines")
    page.fill("#id_related_headlines-1-headline", EXTERNAL_HEADLINE)
    page.fill("#id_related_headlines-1-url", EXTERNAL_URL)

    # Save it as a draft.
    expect(page.locator("#id_status")).to_have_value("draft")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator(".errornote")).to_have_count(0)
    change_url = page.url
    story_path = urlsplit(page.locator("a.viewsitelink").get_attribute("href")).path
    assert story_path.startswith("/stories/")

    # The public cannot see a draft…
    stranger_context = new_context(browser, live_site)
    assert stranger_context.new_page().goto(story_path).status == 404
    stranger_context.close()

    # …but the editor can preview it.
    assert page.goto(story_path).status == 200
    expect(page.locator(".preview-banner")).to_contain_text("Preview.")
    expect(page.locator(".preview-banner")).to_contain_text("draft")
    expect(page.locator("h1")).to_have_text(HEADLINE)

    # Point at the subject, in the photo's library page: a click on the preview sets
    # the focal point.
    page.goto(change_url)
    page.click(".field-photo_preview a:has-text('Edit in the library')")
    preview = page.locator(".focal-preview img")
    box = preview.bounding_box()
    preview.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.6})
    assert abs(float(page.input_value("#id_focal_x")) - 0.75) <= 0.02
    assert abs(float(page.input_value("#id_focal_y")) - 0.6) <= 0.02
    expect(page.locator(".focal-preview__marker")).to_be_visible()
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert abs(float(page.input_value("#id_focal_x")) - 0.75) <= 0.02

    # Publish.
    page.goto(change_url)
    page.select_option("#id_status", "published")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    # A reader now finds it on the front page, as the newest story…
    reader_context = new_context(browser, live_site)
    reader = reader_context.new_page()
    assert reader.goto("/").status == 200
    lead = reader.locator(".lead article.card")
    expect(lead.locator(".card__headline a")).to_have_attribute("href", story_path)
    expect_card_shows_the_story(lead)

    # …and on its own page, exactly as written.
    lead.locator(".card__headline a").click()
    expect(reader).to_have_url(re.compile(re.escape(story_path) + "$"))
    expect(reader.locator(".preview-banner")).to_have_count(0)
    expect(reader.locator("h1")).to_have_text(HEADLINE)
    expect(reader.locator(".story__dek")).to_have_text(DEK)
    expect(reader.locator(".story__body strong")).to_have_text(BOLD_WORD)
    link = reader.locator(".story__body a")
    expect(link).to_have_text(LINK_WORD)
    expect(link).to_have_attribute("href", LINK_URL)
    expect(reader.locator(".story__body p")).to_have_text([PARAGRAPH, SECOND_PARAGRAPH])
    photo = reader.locator(".story__photo img")
    expect(photo).to_have_attribute("alt", ALT)
    # Chromium picks the AVIF rendition, served by gunicorn, and it decodes.
    photo.scroll_into_view_if_needed()
    reader.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    assert photo.evaluate("img => img.currentSrc").endswith(".avif")
    expect(reader.locator(".story__photo figcaption")).to_have_text(f"{CAPTION} {CREDIT}")
    expect(reader.locator(".story__header .byline a")).to_have_text([n for _, n in AUTHORS])
    related = reader.locator(".related li a")
    expect(related).to_have_text([linked["headline"], EXTERNAL_HEADLINE])
    expect(related.nth(0)).to_have_attribute("href", linked["path"])
    expect(related.nth(1)).to_have_attribute("href", EXTERNAL_URL)
    expect(reader.locator(".tags a")).to_have_text(sorted(TAGS))

    # Its tag page and its section page list it too.
    for tag in TAGS:
        reader.goto(story_path)
        reader.locator(".tags a", has_text=tag).click()
        expect(reader.locator("h1")).to_have_text(tag)
        expect_card_shows_the_story(card_for(reader, story_path))
    reader.goto(story_path)
    reader.locator(".story__header .kicker a").click()
    expect(reader.locator("h1")).to_have_text(SECTION)
    expect_card_shows_the_story(card_for(reader, story_path))

    reader_context.close()
    editor_context.close()


def test_reader_follows_stories_tags_sections_authors_pages_and_related(browser, live_site):
    story = live_site.manifest["story"]
    context = new_context(browser, live_site)
    page = context.new_page()
    h1 = page.locator("h1")

    # From the front page to a story.
    page.goto("/")
    page.locator(f'.card__headline a[href="{story["path"]}"]').click()
    expect(h1).to_have_text(story["headline"])

    # A tag, a section and an author of that story, each listing it.
    for link in (".tags a", ".story__header .kicker a", ".story__header .byline a"):
        page.goto(story["path"])
        target = page.locator(link).first
        name = target.text_content().strip()
        target.click()
        expect(h1).to_have_text(name)
        expect(page.locator(f'.card__headline a[href="{story["path"]}"]')).to_have_count(1)

    # The next page of all stories, and a story from it. (The demo's front page shows
    # most of its thirty stories in its zones: its pages are in tests/test_fronts.py.)
    page.goto("/stories/")
    page.locator("a[rel=next]").click()
    expect(page).to_have_url(re.compile(r"/stories/\?before=\d{8}T\d{6}(\.\d{6})?Z-\d+$"))
    expect(page.locator(".pagination__current")).to_contain_text("Stories before")
    older = page.locator(".card__headline a").first
    older_headline = older.text_content().strip()
    older.click()
    expect(h1).to_have_text(older_headline)

    # A related headline that links another story.
    linking, linked = live_site.manifest["linking_story"], live_site.manifest["linked_story"]
    page.goto(linking["path"])
    page.locator(f'.related a[href="{linked["path"]}"]').click()
    expect(h1).to_have_text(linked["headline"])

    # Search, from the form in the header, for a word of the story's body.
    if live_site.manifest["search"]:
        page.goto("/")
        form = page.locator("header form[role=search]")
        expect(form).to_have_count(1)
        form.locator("input[name=q]").fill(live_site.manifest["search_word"])
        form.locator("input[name=q]").press("Enter")
        page.locator(f'main a[href="{story["path"]}"]').first.click()
        expect(h1).to_have_text(story["headline"])

    context.close()


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# For each visible link, button and field: its box, and whether WCAG 2.5.8 exempts it as
# an inline target inside a sentence (the rest of its block holds words of its own).
TARGETS_JS = """() => {
    const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
    const label = el => (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    const describe = el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
        + ' "' + label(el).slice(0, 40) + '" in ' + el.parentElement.tagName.toLowerCase();
    const blockOf = el => {
        let node = el.parentElement;
        while (node && getComputedStyle(node).display.startsWith('inline')) {
            node = node.parentElement;
        }
        return node;
    };
    return [...document.querySelectorAll(selector)].flatMap(el => {
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (!box.width || !box.height || style.visibility === 'hidden') return [];
        let inline = false;
        if (style.display === 'inline') {
            const block = blockOf(el);
            const around = block.innerText.replace(el.innerText, '');
            inline = /[\\p{L}\\p{N}]/u.test(around);
        }
        return [{what: describe(el), x: box.x, y: box.y + scrollY, width: box.width,
                 height: box.height, inline}];
    });
}"""


def too_small(targets, minimum=24):
    """Targets that fail WCAG 2.5.8: smaller than 24×24 CSS px, not inline in a sentence,
    and without the spacing that stands in for size (a 24 px circle centred on each
    undersized target must not meet another target or another such circle)."""
    small = [t for t in targets if not t["inline"] and min(t["width"], t["height"]) < minimum]

    def centre(t):
        return t["x"] + t["width"] / 2, t["y"] + t["height"] / 2

    def circle_meets_box(c, t):
        nearest_x = min(max(c[0], t["x"]), t["x"] + t["width"])
        nearest_y = min(max(c[1], t["y"]), t["y"] + t["height"])
        return (c[0] - nearest_x) ** 2 + (c[1] - nearest_y) ** 2 < (minimum / 2) ** 2

    failing = []
    for target in small:
        c = centre(target)
        crowded = any(
            other is not target and circle_meets_box(c, other) for other in targets
        ) or any(
            other is not target
            and (c[0] - centre(other)[0]) ** 2 + (c[1] - centre(other)[1]) ** 2 < minimum**2
            for other in small
        )
        if crowded:
            failing.append(target)
    return failing


def test_phone_pages_fit_the_screen_and_tap_targets_are_big_enough(browser, live_site):
    context = new_context(browser, live_site, **PHONE)
    page = context.new_page()
    problems = []
    for public in live_site.pages:
        response = page.goto(public.path)
        assert response.status == public.status, public
        overflow = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        if overflow[0] > overflow[1]:
            problems.append(f"{public.kind}: scrolls sideways ({overflow[0]} > {overflow[1]} px)")
        for target in too_small(page.evaluate(TARGETS_JS)):
            problems.append(
                f"{public.kind}: {target['what']} is {target['width']:.0f}×{target['height']:.0f}"
            )
    context.close()
    assert problems == []


def test_screenshots_of_home_and_story(browser, live_site):
    """Saved under artifacts/screenshots/ for people to look at (not compared)."""
    devices = {
        "desktop": {"viewport": {"width": 1280, "height": 900}},
        "phone": {**PHONE, "device_scale_factor": 1},
    }
    for device, options in devices.items():
        for scheme in ("light", "dark"):
            context = new_context(browser, live_site, color_scheme=scheme, **options)
            page = context.new_page()
            for name, path in (("home", "/"), ("story", live_site.manifest["story"]["path"])):
                page.goto(path)
                # A full-page picture shows what a scrolling reader sees: lazy photos too.
                page.evaluate(
                    """async () => {
                        const photos = [...document.images];
                        photos.forEach(img => { img.loading = 'eager'; });
                        await Promise.all(photos.map(img => img.decode().catch(() => null)));
                        await document.fonts.ready;
                    }"""
                )
                path = screenshot_path(f"{name}-{device}-{scheme}.png")
                page.screenshot(path=path, full_page=True)
                assert path.stat().st_size > 10_000
            context.close()
