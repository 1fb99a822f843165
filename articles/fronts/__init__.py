"""The front-page desk (app label "fronts"): what editors arrange, what readers see.

models.py           Front, Layout (an edition: being prepared, scheduled or live), Zone,
                    Pin; and the breaking-news Banner (defined in banner.py)
banner.py           the banner readers see on every page (a fragment) and its schedule
defaults.py         the layouts every front starts with (migration, `load_demo`)
resolve.py          a front at a moment -> its zones' stories, in a constant number of queries
views.py, urls.py   the home page and the sections' pages: the core's lists with a front
context_processors.py  the live banner for base.html
signal_handlers.py  cache: purging a front's page, the banner; their timed changes
admin.py            the desk in the admin (fronts.arrange_fronts only); admin_banner.py
"""
