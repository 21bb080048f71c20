"""`manage.py create_api_token NAME --scope ingest|admin` prints the new key on its last line."""

from django.core.management.base import BaseCommand

from providers.choices import TokenScope
from providers.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token; the key is shown once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.INGEST)

    def handle(self, *args, name, scope, **options):
        token, key = ApiToken.issue(name=name, scope=scope)
        self.stderr.write(f"Created {scope} token '{name}' ({token.prefix}…). Store the key now:")
        self.stdout.write(key)
