"""Embeds from an allow-list of providers: the URL alone decides everything.

An editor pastes the address of a video, post, track, chart or map on a paragraph of its
own (articles/blocks.py finds it). `resolve(url)` names the provider and builds the
iframe address from the URL's pattern, with no network (this machine has none, and a
save must not wait on a third party). Anything else raises `EmbedError`, whose message
says which providers work: the admin form shows it.

Readers get a privacy facade (articles/blocks.py renders it, static/js/embeds.js swaps
in the iframe on click), so no provider sees a reader before the reader asks. The CSP's
`frame-src` is `frame_sources()`: exactly the iframe hosts below, nothing else.

Every iframe address is assembled from pieces the patterns captured (ids of a fixed
alphabet) or from the editor's URL percent-encoded as a query value, never from raw
editor text, so the address cannot carry markup or another scheme.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote_plus, urlencode, urlsplit

# What a reader may do inside an embedded frame: run the player, open the original in a
# new tab, go full screen. Never navigate our page (no allow-top-navigation).
SANDBOX = (
    "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-presentation"
)
# Permissions-Policy features a player needs once the reader has asked for it.
ALLOW = "autoplay; encrypted-media; fullscreen; picture-in-picture"


class EmbedError(ValueError):
    """An address that cannot become an embed; the message is for the editor."""


@dataclass(frozen=True)
class Embed:
    provider: "Provider"
    url: str  # the original address, as the editor gave it (the no-JavaScript link)
    iframe_url: str
    shape: str  # CSS shape of the frame: video, portrait, post, audio, audio-tall, chart, map

    @property
    def sandbox(self):
        return self.provider.sandbox


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    frame_origin: str  # scheme and host of every iframe this provider gets
    hosts: frozenset  # hosts of the addresses editors paste
    example: str  # shown in error messages
    resolve: object  # (SplitResult) -> (iframe path and query, shape) or None
    sandbox: str = SANDBOX


_ID = r"[A-Za-z0-9_-]"


def _query(parts):
    return parse_qs(parts.query, keep_blank_values=False)


def _seconds(value):
    """YouTube's t=/start=: 90, 90s or 1h2m3s; 0 when unreadable."""
    if value.isdecimal():
        return int(value)
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", value)
    if not match or not value:
        return 0
    h, m, s = (int(g or 0) for g in match.groups())
    return h * 3600 + m * 60 + s


def _youtube(parts):
    path, query = parts.path, _query(parts)
    if parts.hostname == "youtu.be":
        match = re.fullmatch(rf"/({_ID}{{11}})/?", path)
    elif path in ("/watch", "/watch/"):
        video = query.get("v", [""])[0]
        match = re.fullmatch(rf"({_ID}{{11}})", video)
    else:
        match = re.fullmatch(rf"/(?:embed|shorts|live|v)/({_ID}{{11}})/?", path)
    if not match:
        return None
    params = {"autoplay": "1"}
    start = _seconds((query.get("t") or query.get("start") or [""])[0])
    if start:
        params["start"] = str(start)
    shape = "portrait" if path.startswith("/shorts/") else "video"
    return f"/embed/{match.group(1)}?{urlencode(params)}", shape


def _vimeo(parts):
    match = re.fullmatch(
        r"/(?:video/|channels/[\w-]+/|groups/[\w-]+/videos/)?(\d{1,12})(?:/([0-9a-f]{6,20}))?/?",
        parts.path,
    )
    if not match:
        return None
    params = {"dnt": "1", "autoplay": "1"}
    unlisted = match.group(2) or _query(parts).get("h", [""])[0]
    if unlisted and re.fullmatch(r"[0-9a-f]{6,20}", unlisted):
        params["h"] = unlisted
    return f"/video/{match.group(1)}?{urlencode(params)}", "video"


def _twitter(parts):
    match = re.fullmatch(r"/(?:\w{1,15}|i/web)/status(?:es)?/(\d{1,20})(?:/.*)?", parts.path)
    if not match:
        return None
    return f"/embed/Tweet.html?{urlencode({'id': match.group(1), 'dnt': 'true'})}", "post"


def _instagram(parts):
    match = re.fullmatch(rf"/(?:[\w.]+/)?(p|reel|tv)/({_ID}{{5,40}})/?(?:embed/?)?", parts.path)
    if not match:
        return None
    kind = "reel" if match.group(1) == "reel" else "p"
    return f"/{kind}/{match.group(2)}/embed/", "post"


def _tiktok(parts):
    match = re.fullmatch(
        r"/(?:@[\w.-]{1,40}/video/|embed/v2/|embed/|player/v1/)(\d{5,25})/?", parts.path
    )
    if not match:
        return None
    return f"/player/v1/{match.group(1)}", "portrait"


_FACEBOOK_VIDEO = re.compile(r"/(?:[\w.-]+/videos/(?:[\w.-]+/)?\d+|watch|reel/\d+|video\.php)/?")
_FACEBOOK_POST = re.compile(
    r"/(?:[\w.-]+/posts/[\w.-]+|permalink\.php|story\.php|photo\.php|photo|"
    r"[\w.-]+/photos/[\w.-]+/\d+|groups/[\w.-]+/(?:posts|permalink)/\d+)/?"
)


def _facebook(parts):
    query = _query(parts)
    if _FACEBOOK_VIDEO.fullmatch(parts.path):
        if parts.path.rstrip("/") in ("/watch", "/video.php") and not re.fullmatch(
            r"\d+", query.get("v", query.get("id", [""]))[0]
        ):
            return None
        plugin, shape = "video", "video"
    elif _FACEBOOK_POST.fullmatch(parts.path):
        if parts.path.rstrip("/") in ("/permalink.php", "/story.php") and not re.fullmatch(
            r"[\w-]+", query.get("story_fbid", [""])[0]
        ):
            return None
        if parts.path.rstrip("/") in ("/photo.php", "/photo") and not re.fullmatch(
            r"\d+", query.get("fbid", [""])[0]
        ):
            return None
        plugin, shape = "post", "post"
    else:
        return None
    # The plugin takes the canonical address of the post, percent-encoded.
    canonical = f"https://www.facebook.com{parts.path}" + (f"?{parts.query}" if parts.query else "")
    return f"/plugins/{plugin}.php?{urlencode({'href': canonical, 'show_text': 'true'})}", shape


_SOUNDCLOUD_RESERVED = {"discover", "stream", "search", "upload", "you", "charts", "pages"}


def _soundcloud(parts):
    match = re.fullmatch(r"/([\w-]{1,60})/((?:sets/)?[\w-]{1,120})/?", parts.path)
    if not match or match.group(1) in _SOUNDCLOUD_RESERVED:
        return None
    track = f"https://soundcloud.com/{match.group(1)}/{match.group(2)}"
    shape = "audio-tall" if match.group(2).startswith("sets/") else "audio"
    params = {"url": track, "auto_play": "true", "visual": "false"}
    return f"/player/?{urlencode(params)}", shape


def _spotify(parts):
    match = re.fullmatch(
        r"/(?:intl-[\w-]{2,8}/)?(?:embed/)?(track|album|playlist|episode|show|artist)/([A-Za-z0-9]{22})/?",
        parts.path,
    )
    if not match:
        return None
    kind = match.group(1)
    return f"/embed/{kind}/{match.group(2)}", "audio" if kind in ("track", "episode") else (
        "audio-tall"
    )


def _datawrapper(parts):
    if parts.hostname == "datawrapper.dwcdn.net":
        match = re.fullmatch(r"/([A-Za-z0-9]{5})(?:/(\d{1,4}))?/?", parts.path)
    else:  # www.datawrapper.de/_/<id>/ and app.datawrapper.de/chart/<id>/…
        match = re.fullmatch(r"/(?:_|chart|map|table)/([A-Za-z0-9]{5})(?:/[\w-]*)?/?()", parts.path)
    if not match:
        return None
    version = f"{match.group(2)}/" if match.group(2) else ""
    return f"/{match.group(1)}/{version}", "chart"


def _flourish(parts):
    match = re.fullmatch(r"/(visualisation|story)/(\d{1,12})/?(?:embed/?)?", parts.path)
    if not match:
        return None
    return f"/{match.group(1)}/{match.group(2)}/embed", "chart"


def _maps(parts):
    path, query = parts.path, _query(parts)
    if parts.hostname == "maps.google.com":
        path = "/maps" + (path if path != "/" else "")
    if not (path == "/maps" or path.startswith("/maps/")):
        return None
    if path.rstrip("/") == "/maps/embed":
        pb = query.get("pb", [""])[0]
        if not re.fullmatch(r"[\w!.:%*-]{10,4000}", pb):
            return None
        return f"/maps/embed?{urlencode({'pb': pb})}", "map"
    place = re.fullmatch(r"/maps/(?:place|search)/([^/@]+)(?:/.*)?", path)
    at = re.search(r"/@(-?\d{1,3}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)(?:,(\d{1,2}(?:\.\d+)?)z)?", path)
    params = {}
    if place:
        params["q"] = unquote_plus(place.group(1))
    elif at:
        params["q"] = f"{at.group(1)},{at.group(2)}"
    elif query.get("q"):
        params["q"] = query["q"][0]
    else:
        return None
    if not params["q"].strip() or len(params["q"]) > 300:
        return None
    if at and at.group(3):
        params["z"] = str(int(float(at.group(3))))
    params["output"] = "embed"
    return f"/maps?{urlencode(params, quote_via=quote)}", "map"


def _hosts(*names):
    return frozenset(names)


PROVIDERS = (
    Provider(
        "youtube", "YouTube", "https://www.youtube-nocookie.com",
        _hosts("youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be",
               "www.youtube-nocookie.com", "youtube-nocookie.com"),
        "https://www.youtube.com/watch?v=…", _youtube,
    ),
    Provider(
        "vimeo", "Vimeo", "https://player.vimeo.com",
        _hosts("vimeo.com", "www.vimeo.com", "player.vimeo.com"),
        "https://vimeo.com/123456789", _vimeo,
    ),
    Provider(
        "x", "X (Twitter)", "https://platform.twitter.com",
        _hosts("x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com",
               "mobile.twitter.com"),
        "https://x.com/<account>/status/<number>", _twitter,
    ),
    Provider(
        "instagram", "Instagram", "https://www.instagram.com",
        _hosts("instagram.com", "www.instagram.com"),
        "https://www.instagram.com/p/…/", _instagram,
    ),
    Provider(
        "tiktok", "TikTok", "https://www.tiktok.com",
        _hosts("tiktok.com", "www.tiktok.com", "m.tiktok.com"),
        "https://www.tiktok.com/@<account>/video/<number>", _tiktok,
    ),
    Provider(
        "facebook", "Facebook", "https://www.facebook.com",
        _hosts("facebook.com", "www.facebook.com", "m.facebook.com", "web.facebook.com"),
        "https://www.facebook.com/<page>/posts/… or …/videos/…", _facebook,
    ),
    Provider(
        "soundcloud", "SoundCloud", "https://w.soundcloud.com",
        _hosts("soundcloud.com", "www.soundcloud.com", "m.soundcloud.com"),
        "https://soundcloud.com/<artist>/<track>", _soundcloud,
    ),
    Provider(
        "spotify", "Spotify", "https://open.spotify.com",
        _hosts("open.spotify.com"),
        "https://open.spotify.com/track/…", _spotify,
    ),
    Provider(
        "datawrapper", "Datawrapper", "https://datawrapper.dwcdn.net",
        _hosts("datawrapper.dwcdn.net", "www.datawrapper.de", "datawrapper.de",
               "app.datawrapper.de"),
        "https://datawrapper.dwcdn.net/<id>/", _datawrapper,
    ),
    Provider(
        "flourish", "Flourish", "https://flo.uri.sh",
        _hosts("public.flourish.studio", "flo.uri.sh", "app.flourish.studio"),
        "https://public.flourish.studio/visualisation/<number>/", _flourish,
    ),
    Provider(
        "google-maps", "Google Maps", "https://www.google.com",
        _hosts("www.google.com", "google.com", "maps.google.com"),
        "https://www.google.com/maps/place/…", _maps,
    ),
)  # fmt: skip

_BY_HOST = {host: provider for provider in PROVIDERS for host in provider.hosts}
# Short links only say where they lead after a request; we make none.
_SHORT_LINKS = {
    "vm.tiktok.com": "TikTok", "vt.tiktok.com": "TikTok", "fb.watch": "Facebook",
    "on.soundcloud.com": "SoundCloud", "spotify.link": "Spotify", "t.co": "X (Twitter)",
    "maps.app.goo.gl": "Google Maps", "goo.gl": "Google Maps", "instagr.am": "Instagram",
}  # fmt: skip

PROVIDER_NAMES = ", ".join(p.name for p in PROVIDERS)
SUPPORTED = f"Embeds work with {PROVIDER_NAMES}."


def frame_sources():
    """The CSP's frame-src: every provider's iframe origin, once, in order."""
    return list(dict.fromkeys(p.frame_origin for p in PROVIDERS))


def looks_like_url(text):
    """Whether a paragraph's whole text is meant as an address (then it must embed)."""
    return bool(re.fullmatch(r"(?:[a-zA-Z][\w+.-]*:/+|www\.)\S*", text))


def resolve(url):
    """The Embed for `url`, or EmbedError saying what is wrong and what works."""
    url = (url or "").strip()
    if url.startswith("www."):
        url = "https://" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a malformed port)
    except ValueError:
        raise EmbedError(f"“{url[:80]}” is not a complete web address. {SUPPORTED}") from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username:
        raise EmbedError(
            f"“{url[:80]}” is not a complete web address (it starts with https://). {SUPPORTED}"
        )
    if host in _SHORT_LINKS:
        raise EmbedError(
            f"“{url[:80]}” is a {_SHORT_LINKS[host]} short link: open it and paste the full "
            "address it leads to."
        )
    provider = _BY_HOST.get(host)
    if provider is None:
        raise EmbedError(
            f"“{url[:80]}” cannot be embedded. {SUPPORTED} To link to it instead, give "
            "the link text of its own."
        )
    found = provider.resolve(parts._replace(netloc=host))
    if found is None:
        raise EmbedError(
            f"This {provider.name} address cannot be embedded: use the address of one item, "
            f"like {provider.example}"
        )
    path, shape = found
    return Embed(provider=provider, url=url, iframe_url=provider.frame_origin + path, shape=shape)
