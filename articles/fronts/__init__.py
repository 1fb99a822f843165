"""Home and section fronts: what editors arrange, what readers see.

models.py    Front, Layout (an edition: being prepared, scheduled or live), Zone, Pin
defaults.py  the layouts every front starts with (migration, `load_demo`)
resolve.py   a front at a moment -> its zones' stories, in a constant number of queries
signals.py   cache: purging a front's page, its timed changes (pins, layouts)
admin.py     the desk in the admin (articles.arrange_fronts only)
"""
