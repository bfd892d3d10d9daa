"""Load demo data for `make run`: an admin and a few donors and publishers. Safe to run twice."""

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from twitter_claims import demo as twitter_demo

DEMO_PASSWORD = "flattr-demo"
ADMIN_PASSWORD = "flattr-admin"


class Command(BaseCommand):
    help = "Create demo users (and, from the other apps, things, funds and flattrs) once."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if User.objects.filter(username="admin").exists():
            self.stdout.write("Demo data already loaded.")
            return
        admin = User.objects.create_superuser("admin", "admin@example.org", ADMIN_PASSWORD)
        EmailAddress.objects.create(user=admin, email=admin.email, verified=True, primary=True)
        for username, display in [("anna", "Anna Donor"), ("pat", "Pat Publisher")]:
            user = User.objects.create_user(
                username, f"{username}@example.org", DEMO_PASSWORD, display_name=display
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        from payments import demo as payments_demo

        payments_demo.load(self.stdout)
        twitter_demo.load(self.stdout)  # held pools for @carol and @dave (fake X users)
        from flattr import demo as flattr_demo

        flattr_demo.load(self.stdout)  # pat's things, flattrs and a subscription of anna's
        from payments import payday_demo

        payday_demo.load(self.stdout)  # past paydays: anna's statements, pat's income chart
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: admin/{ADMIN_PASSWORD}, anna and pat / {DEMO_PASSWORD}."
            )
        )
