"""Request guards that run before any view: body size (API.md "Errors": 413) and NULs."""

from django.conf import settings
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.EXACTO_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"error": "Content-Length is not a number."}, status=400)
        if length > limit:
            return JsonResponse(
                {"error": f"Request body of {length} bytes exceeds the limit of {limit} bytes."},
                status=413,
            )
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL in the path or a query/form value is refused with 400.

    PostgreSQL text cannot hold NUL: such a value would turn a lookup into a 500. Views
    therefore need no NUL check of their own on the path or the query (JSON bodies are
    checked where they are parsed, metrics/events.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [request.path, *request.GET.keys(), *request.GET.values()]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"
        ):
            try:
                values += [*request.POST.keys(), *request.POST.values()]
            except MultiPartParserError as exc:  # API.md "Errors": every 4xx is JSON
                return JsonResponse({"error": f"Malformed form body: {exc}"}, status=400)
        if any("\x00" in value for value in values):
            return JsonResponse({"error": "NUL characters are not allowed."}, status=400)
        return self.get_response(request)


class ApiOptionalSlashMiddleware:
    """Every API path answers with or without its trailing slash (API.md 1.1 "Transport").

    The path is rewritten in place, before CommonMiddleware could answer a redirect (which
    would drop a POST body, and is a 500 under DEBUG): clients never see a difference.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/"):
            urlconf = getattr(request, "urlconf", None)
            try:
                resolve(path, urlconf)
            except Resolver404:
                other = path[:-1] if path.endswith("/") else path + "/"
                try:
                    resolve(other, urlconf)
                except Resolver404:
                    pass
                else:
                    request.path = request.path[: len(request.path) - len(path)] + other
                    request.path_info = other
        return self.get_response(request)
