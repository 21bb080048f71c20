"""Public feedback form about a provider of a model (linked from every dashboard page)."""

from django import forms
from django.core.validators import URLValidator

from .choices import ApprovalStatus, FeedbackCategory
from .models import Endpoint, LLMModel, Provider


class FeedbackForm(forms.Form):
    # Pending models and providers are not public (METHODOLOGY §9).
    model = forms.ModelChoiceField(
        queryset=LLMModel.objects.filter(status=ApprovalStatus.APPROVED).order_by("slug"),
        to_field_name="slug")
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.filter(endpoints__isnull=False, status=ApprovalStatus.APPROVED)
        .distinct().order_by("slug"),
        to_field_name="slug",
    )
    category = forms.ChoiceField(choices=FeedbackCategory.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), min_length=10,
                                  max_length=5000)
    request_id = forms.CharField(required=False, max_length=200,
                                 label="Request or generation id (optional)")
    email = forms.EmailField(required=False, label="Your email (optional, to hear back)")
    # Honeypot: hidden from people, filled in by naive bots.
    # The honeypot: hidden from people and assistive technology, out of the tab order.
    website = forms.CharField(required=False, label="Leave this empty", widget=forms.TextInput(
        attrs={"tabindex": "-1", "autocomplete": "off"}))

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError("This field must be left empty.")
        return ""

    def clean(self):
        data = super().clean()
        model, provider = data.get("model"), data.get("provider")
        if model and provider:
            endpoint = Endpoint.objects.filter(model=model, provider=provider).first()
            if endpoint is None:
                raise forms.ValidationError(
                    f"{provider.slug} does not serve {model.slug}; pick one of its providers."
                )
            data["endpoint"] = endpoint
        return data


class ProviderResponseForm(forms.Form):
    """A provider's response or dispute on one of its endpoints (portal)."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), min_length=3,
                           max_length=10000, label="Your response or dispute")
    links = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                            label="Links (optional, one URL per line)")
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_links(self):
        lines = [line.strip() for line in self.cleaned_data.get("links", "").splitlines()
                 if line.strip()]
        if len(lines) > 10:
            raise forms.ValidationError("At most 10 links.")
        validate = URLValidator(schemes=["http", "https"])
        for line in lines:
            try:
                validate(line)
            except forms.ValidationError as exc:
                raise forms.ValidationError(f"Not a web address: {line}") from exc
        return "\n".join(lines)
