"""Refuse oversized request bodies before anything reads them (API.md "Errors": 413)."""

from django.conf import settings
from django.http import JsonResponse


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
