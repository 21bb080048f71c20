"""Every page and API read body of the seeded demo, as an anonymous reader, the groq
provider user and an admin see it, written to OUT/<reader>/<n>.txt (OUT/<reader>/index.txt
lists the URLs), to compare two versions of the code byte for byte:

    DATABASE_URL=... CACHE_URL=... python benchmarks/page_bodies.py OUT   # from each worktree
    diff -r OUT_main OUT_branch

CSRF tokens and "N min ago" are masked; each run uses a fresh public-cache key prefix.
"""

import os
import re
import secrets
import sys

TOKEN = re.compile(rb'(csrfmiddlewaretoken" value="|csrf-token" content=")[^"]*')
AGO = re.compile(rb"[0-9]+ (min|h|days?) ago|just now")


def main(out: str) -> None:
    sys.path.insert(0, os.getcwd())
    os.environ["CACHE_KEY_PREFIX"] = "cmp-" + secrets.token_hex(4)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exacto_site.settings")
    os.environ["DEBUG"] = "0"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from metrics.models import Benchmark
    from providers.models import LLMModel, Provider

    urls = ["/", "/benchmarks/", "/api/v1/endpoints/", "/api/v1/models/", "/portal/"]
    for m in LLMModel.objects.order_by("slug"):
        urls += [f"/models/{m.slug}/", f"/models/{m.slug}/history/",
                 f"/api/v1/endpoints/?model={m.slug}", f"/api/v1/endpoints/?model={m.slug}&days=7",
                 f"/api/v1/route/?model={m.slug}:exacto", f"/api/v1/burn-in/?model={m.slug}"]
    urls += [f"/providers/{p.slug}/" for p in Provider.objects.order_by("slug")]
    urls += [f"/benchmarks/{b.slug}/" for b in Benchmark.objects.order_by("slug")]
    users = get_user_model().objects
    readers = {"anon": None, "provider": users.get(username="groq-demo"),
               "admin": users.get(username="admin")}
    for name, user in readers.items():
        client = Client()
        if user:
            client.force_login(user)
        os.makedirs(f"{out}/{name}", exist_ok=True)
        with open(f"{out}/{name}/index.txt", "w") as index:
            for i, url in enumerate(urls):
                response = client.get(url)
                index.write(f"{i} {response.status_code} {url}\n")
                with open(f"{out}/{name}/{i:03d}.txt", "wb") as f:
                    f.write(AGO.sub(b"AGO", TOKEN.sub(rb"\1X", response.content)))
    print(out, len(urls), "urls x", len(readers), "readers")


if __name__ == "__main__":
    main(sys.argv[1])
