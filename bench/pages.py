"""What the benchmark drives: its page types, their order, and the wrk scripts some need.

`bench/page_paths.py` picks one URL per page type from the seeded database, plus the two
references. `home-utm` is the front page as newsletters and social networks link it:
wrk gives every request its own `utm_campaign` (`LUA`), and with the cache on it must
match the plain front page (tracking parameters are not part of the page's key).
Its `measure_pages(paths)` makes one request per page with Django's test client and
reports its SQL queries and body size (the cache-on figure is a cache hit: the request
after a first one that filled the cache).

This module imports no Django, so `bench.run` can read the page names; what needs
Django is in `bench/page_paths.py`, run inside the site's process.
"""

# Page types in table order; the two references come last.
PAGES = (
    "home",
    "home-utm",
    "latest",
    "deep",
    "story",
    "tag",
    "section",
    "author",
    "search",
    "sitemap",
    "feed",
    "live",
    "live-poll",
    # The content API (articles/api/): the stories list, and the story above as JSON.
    "api-stories",
    "api-story",
)
REFERENCES = ("constant", "static")
# Pages measured with the page cache on only: what they show is how the cache keys them.
CACHE_ON_ONLY = ("home-utm",)
# A random utm_campaign per request (a counter makes each one new): wrk's request()
# hook, appended to bench.wrk's reporting script.
RANDOM_UTM_LUA = r"""
local sent = 0
math.randomseed(os.time())

function request()
  sent = sent + 1
  local campaign = string.format("utm_campaign=%d-%d", math.random(1000000000), sent)
  local path = wrk.path:gsub("utm_campaign=[^&]*", campaign)
  return wrk.format(nil, path)
end
"""
# A reader's page asking whether a live story has news, as static/js/live.js does: the
# first answer's ETag goes back as If-None-Match, so every later answer is a 304.
IF_NONE_MATCH_LUA = r"""
local report_response = response
local held_etag = nil

function request()
  if held_etag then
    return wrk.format(nil, nil, {["If-None-Match"] = held_etag})
  end
  return wrk.format(nil)
end

function response(status, headers, body)
  report_response(status, headers, body)
  if status == 200 then
    held_etag = headers["ETag"] or headers["etag"]
  end
end
"""
# Page → Lua for wrk, for pages whose requests are not all the same.
LUA = {"home-utm": RANDOM_UTM_LUA, "live-poll": IF_NONE_MATCH_LUA}
# Pages whose every request differs (a new query string): the cache is filled by another.
VARIED_PAGES = ("home-utm",)
# Pages whose answer is meant to be 304 Not Modified (not counted as errors).
NOT_MODIFIED_PAGES = ("live-poll",)
