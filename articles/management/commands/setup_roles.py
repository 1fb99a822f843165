"""`manage.py setup_roles`: reset the Reporter and Editor groups to their definition.

The data migration creates the groups; run this after a change to
`articles.roles.ROLE_PERMISSIONS` (or to undo hand edits of the two groups).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from articles.roles import ROLE_PERMISSIONS, sync_roles


class Command(BaseCommand):
    help = "Create the Reporter and Editor groups and set exactly their permissions."

    def handle(self, *args, **options):
        with transaction.atomic():
            missing = sync_roles()
        for name, wanted in ROLE_PERMISSIONS.items():
            absent = missing.get(name, [])
            self.stdout.write(f"{name}: {len(wanted) - len(absent)} permissions")
            for permission in absent:
                self.stderr.write(f"  missing permission {permission}")
