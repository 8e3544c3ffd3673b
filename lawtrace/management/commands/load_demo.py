from django.core.management.base import BaseCommand

from lawtrace import demo


class Command(BaseCommand):
    help = "Load the four demo agencies with units, staff, devices, cases and activities (idempotent)."

    def handle(self, *args, **options) -> None:
        created = demo.load()
        for agency in created:
            self.stdout.write(self.style.SUCCESS(f"loaded {agency.name}"))
        if not created:
            self.stdout.write("demo data already present")
