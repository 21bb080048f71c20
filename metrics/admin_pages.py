"""The admin's own pages: import a results file, and the overview (linked from the admin
index). Views only; the site that serves them is exacto_site/admin.py."""

import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from metrics.importers.formats import FORMATS, parse_file
from metrics.selectors.overview import admin_overview
from metrics.services.imports import import_parse_result


class ImportResultsForm(forms.Form):
    format = forms.ChoiceField(choices=[(k, f"{k}: {v}") for k, v in sorted(FORMATS.items())])
    file = forms.FileField(help_text="The published results file.")
    vendor = forms.CharField(required=False, help_text="k2vv-summary only: vendor name.")
    model = forms.CharField(required=False, help_text="k2vv-summary only: model slug.")
    run_at = forms.DateTimeField(required=False, help_text="k2vv-summary only: when it ran.")
    source = forms.CharField(required=False, help_text="Label for the import log.")
    unpublished = forms.BooleanField(required=False,
                                     help_text="Keep the runs private (default: published).")

    def clean(self):
        data = super().clean()
        if data.get("format") == "k2vv-summary" and not (
                data.get("vendor") and data.get("model") and data.get("run_at")):
            raise forms.ValidationError("k2vv-summary needs vendor, model and run at.")
        return data


def _parse_upload(data):
    upload = data["file"]
    suffix = Path(upload.name).suffix[:10]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"upload{suffix}"
        with open(target, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        return parse_file(data["format"], target, vendor=data.get("vendor") or None,
                          model=data.get("model") or None, run_at=data.get("run_at"))


def import_results(request, context: dict):
    """`context`: the admin site's (header, navigation)."""
    if not request.user.has_perm("metrics.add_benchmarkrun"):
        raise PermissionDenied("Importing results needs the 'add benchmark run' permission.")
    report = None
    if request.method == "POST":
        form = ImportResultsForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                parsed = _parse_upload(data)
            except (ValueError, UnicodeDecodeError, KeyError) as exc:
                form.add_error("file", f"Could not read this file as {data['format']}: {exc}")
            else:
                report = import_parse_result(
                    parsed, source=data["source"] or f"admin-import:{data['format']}",
                    publish=not data["unpublished"])
                messages.success(request, report.summary())
    else:
        form = ImportResultsForm()
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "admin/import_results.html", {
        **context, "title": "Import a results file", "form": form, "report": report,
        "unmapped": sorted(report.unmapped.items()) if report else [],
    }, status=status)


def overview(request, context: dict):
    return render(request, "admin/overview.html", {
        **context, "title": "Overview", **admin_overview(),
    })
