from django import forms

from accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = (
            "display_name",
            "about",
            "website",
            "preferred_language",
            "show_as_supporter",
            "email_notifications",
        )
        widgets = {"about": forms.Textarea(attrs={"rows": 4})}
